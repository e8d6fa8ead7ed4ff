import t from 'tap'
import { chmod, cp, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { moduleLayerFromDir } from '../../lib/distribution/index.js'
import { writeShBuildpack } from '../helpers/sh-buildpacks.js'
import { readTar, tmp } from './helpers.js'

let dir: string
t.before(async () => { dir = await tmp('lading-dist-module-') })
t.teardown(() => rm(dir, { recursive: true, force: true }))

t.test("a buildpack directory becomes one layer in pack's layout and modes", async (t) => {
  const src = await writeShBuildpack(join(dir, 'bp'), 'acme/node', '2.1.0', 'x')
  await writeFile(join(src, 'tool.sh'), 'echo\n')
  await chmod(join(src, 'tool.sh'), 0o700)
  await chmod(join(src, 'data.txt'), 0o600)
  const m = await moduleLayerFromDir(src, join(dir, 'store'))
  t.same(m.info, { id: 'acme/node', version: '2.1.0', homepage: 'https://example.test/acme/node', name: 'acme/node (test)' })
  t.same(m.entry, { api: '0.10', layerDiffID: m.layer.diffIdValue, targets: [{ os: 'linux' }], homepage: 'https://example.test/acme/node', name: 'acme/node (test)' })
  const entries = await readTar(await m.layer.uncompressed())
  const by = new Map(entries.map((e) => [e.name.replace(/\/$/, ''), e]))
  t.same(entries.slice(0, 4).map((e) => e.name), ['cnb/', 'cnb/buildpacks/', 'cnb/buildpacks/acme_node/', 'cnb/buildpacks/acme_node/2.1.0/'], 'explicit parents first')
  t.equal(by.get('cnb/buildpacks/acme_node/2.1.0/bin/build')!.mode, 0o755)
  t.equal(by.get('cnb/buildpacks/acme_node/2.1.0/tool.sh')!.mode, 0o755, 'any exec bit: 0755')
  t.equal(by.get('cnb/buildpacks/acme_node/2.1.0/data.txt')!.mode, 0o644, 'else 0644')
  t.equal(by.get('cnb/buildpacks/acme_node/2.1.0/bin')!.mode, 0o755)
  for (const e of entries) {
    t.equal(e.uid, 0)
    t.equal(e.gid, 0)
    t.equal(e.mtime.toISOString(), '1980-01-01T00:00:01.000Z')
  }
  await cp(src, join(dir, 'copy'), { recursive: true })
  const again = await moduleLayerFromDir(join(dir, 'copy'), join(dir, 'store'))
  t.equal(again.layer.digestValue, m.layer.digestValue, 'same contents, same digest')
})

t.test('an unsupported buildpack API is refused, naming the file', async (t) => {
  const src = await writeShBuildpack(join(dir, 'old'), 'acme/old', '1.0.0', 'x', { api: '0.2' })
  await t.rejects(moduleLayerFromDir(src, join(dir, 'store')), { code: 'ERR_BUILDPACK_API', message: /old\/buildpack\.toml/ })
})
