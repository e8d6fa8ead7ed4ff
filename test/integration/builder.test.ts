import t from 'tap'
import { mkdir, readFile, readlink, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  podmanRun, skopeoInspect, umociUnpack, runToolOk, hostArchitecture, type RegistryFixture, type BaseImages,
} from '../../registry-fixtures/index.js'
import { runCli } from '../helpers/cli.js'
import { registryEnv } from '../helpers/registry-env.js'
import { writeComposite, writeShBuildpack } from '../helpers/sh-buildpacks.js'

let reg: RegistryFixture
let base: BaseImages
let work: string
let app: string

t.before(async () => {
  ;({ work, reg, base } = await registryEnv(t, { name: 'it-builder', home: true }))
  app = join(work, 'app')
  await mkdir(app)
  await writeFile(join(app, 'hello.txt'), 'hello\n')
  await writeShBuildpack(join(work, 'bp/a'), 'acme/a', '1.0.0', 'hello from a')
  await writeShBuildpack(join(work, 'bp/b'), 'acme/b', '2.0.0', 'hello from b')
  await writeComposite(join(work, 'bp/suite'), 'acme/suite', '0.1.0', [{ id: 'acme/b', version: '2.0.0', optional: true }, { id: 'acme/a', version: '1.0.0' }])
})

const builderToml = (extra = ''): string => `description = "lading test builder"
[[buildpacks]]
uri = "bp/a"
[[buildpacks]]
uri = "bp/b"
[[buildpacks]]
uri = "bp/suite"
[[order]]
[[order.group]]
id = "acme/suite"
[[order]]
[[order.group]]
id = "acme/b"
[build]
image = "${reg.host}/build:latest"
[[build.env]]
name = "BUILDER_GREETING"
value = "hi"
[run]
[[run.images]]
image = "${reg.host}/run:v1"
mirrors = ["${reg.host}/mirror/run:v1"]
${extra}`

const create = async (ref: string, toml: string) => {
  const file = join(work, 'builder.toml')
  await writeFile(file, toml)
  return runCli(['builder', 'create', ref, '--config', file, '--json'])
}
const build = (image: string, builder: string, extra: string[] = []) => runCli(['build', image, '--path', app, '--builder', builder, '--json', ...extra])

t.test('builder create: pushed, read back by skopeo and umoci in pack\'s layout', async (t) => {
  const r = await create(`${reg.host}/builder:1`, builderToml())
  t.equal(r.code, 0, r.stderr)
  t.match(r.stderr, /no lifecycle binaries/)
  const cfg = await skopeoInspect(`docker://${reg.host}/builder:1`, { config: true, tlsVerify: false }) as { config: { Labels: Record<string, string>; WorkingDir: string; Env: string[] }; rootfs: { diff_ids: string[] } }
  const labels = cfg.config.Labels
  t.equal(cfg.config.WorkingDir, '/layers')
  const md = JSON.parse(labels['io.buildpacks.builder.metadata']!)
  t.equal(md.description, 'lading test builder')
  t.same(md.buildpacks.map((b: { id: string }) => b.id), ['acme/a', 'acme/b', 'acme/suite'])
  t.same(md.images, [{ image: `${reg.host}/run:v1`, mirrors: [`${reg.host}/mirror/run:v1`] }])
  t.same(md.stack.runImage, { image: `${reg.host}/run:v1`, mirrors: [`${reg.host}/mirror/run:v1`] })
  t.match(md.lifecycle.note, /no lifecycle binaries.*\[lifecycle\] uri/)
  t.same(md.createdBy, { name: 'lading', version: '0.1.0' })
  const layers = JSON.parse(labels['io.buildpacks.buildpack.layers']!)
  t.same(layers['acme/suite']['0.1.0'].order, [{ group: [{ id: 'acme/b', version: '2.0.0', optional: true }, { id: 'acme/a', version: '1.0.0' }] }])
  for (const id of ['acme/a', 'acme/b', 'acme/suite']) {
    const v = Object.keys(layers[id])[0]!
    t.ok(cfg.rootfs.diff_ids.includes(layers[id][v].layerDiffID), `${id} layer is in rootfs`)
  }
  t.same(JSON.parse(labels['io.buildpacks.buildpack.order']!), [{ group: [{ id: 'acme/suite' }] }, { group: [{ id: 'acme/b' }] }])
  const layout = join(work, 'readback')
  await runToolOk('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${reg.host}/builder:1`, `oci:${layout}:b`])
  const rootfs = await umociUnpack(layout, 'b', join(work, 'readback-bundle'))
  t.match(await readFile(join(rootfs, 'cnb/order.toml'), 'utf8'), /id = "acme\/suite"\s+version = "0.1.0"/)
  t.match(await readFile(join(rootfs, 'cnb/run.toml'), 'utf8'), /image = "[^"]+\/run:v1"/)
  t.match(await readFile(join(rootfs, 'cnb/stack.toml'), 'utf8'), /\[run-image\]/)
  t.equal(await readFile(join(rootfs, 'cnb/build-config/env/BUILDER_GREETING'), 'utf8'), 'hi')
  t.equal(await readFile(join(rootfs, 'cnb/buildpacks/acme_a/1.0.0/data.txt'), 'utf8'), 'hello from a\n')
  t.equal((await stat(join(rootfs, 'cnb/buildpacks/acme_a/1.0.0/bin/build'))).mode & 0o777, 0o755)
  t.equal((await stat(join(rootfs, 'cnb/buildpacks/acme_a/1.0.0/data.txt'))).mode & 0o777, 0o644)
  t.equal((await stat(join(rootfs, 'cnb/buildpacks/acme_a/1.0.0/data.txt'))).mtime.toISOString(), '1980-01-01T00:00:01.000Z')
  const umociCfg = JSON.parse(await readFile(join(work, 'readback-bundle', 'config.json'), 'utf8'))
  t.equal(umociCfg.process.cwd, '/layers')
})

t.test('build --builder: order, buildpacks, run image, build env and user from the builder; podman runs it', async (t) => {
  const r = await build(`${reg.host}/app:1`, `${reg.host}/builder:1`)
  t.equal(r.code, 0, r.stderr)
  const out = JSON.parse(r.stdout)
  t.same(out.group, [{ id: 'acme/b', version: '2.0.0' }, { id: 'acme/a', version: '1.0.0' }])
  t.match(r.stderr, 'acme/a: built as 1000:1000, greeting=hi')
  t.ok(out.buildpackLayers.layersFetched + out.buildpackLayers.layersCached >= 2)
  const run = await podmanRun(`${reg.host}/app:1`)
  t.equal(run.stdout, 'hello from a (env: none)\n', run.stderr)
  const md = JSON.parse((await skopeoInspect(`docker://${reg.host}/app:1`, { config: true, tlsVerify: false }) as { config: { Labels: Record<string, string> } }).config.Labels['io.buildpacks.lifecycle.metadata']!)
  t.equal(md.runImage.image, `${reg.host}/run:v1`)
})

t.test('rebuild with the same builder reads no layer bytes; a changed buildpack costs one layer', async (t) => {
  const again = await build(`${reg.host}/app:2`, `${reg.host}/builder:1`)
  t.equal(again.code, 0, again.stderr)
  const o = JSON.parse(again.stdout).buildpackLayers
  t.equal(o.layersFetched, 0)
  t.equal(o.bytesFetched, 0)
  t.ok(o.layersCached >= 2)
  await writeFile(join(work, 'bp/a/data.txt'), 'changed\n')
  const re = await create(`${reg.host}/builder:2`, builderToml())
  t.equal(re.code, 0, re.stderr)
  const tr = JSON.parse(re.stdout).transfer
  t.equal(tr.blobsUploaded, 2, 'the changed buildpack layer and the config (then the manifest)')
  const changed = await build(`${reg.host}/app:3`, `${reg.host}/builder:2`)
  t.equal(changed.code, 0, changed.stderr)
  const c = JSON.parse(changed.stdout).buildpackLayers
  t.equal(c.layersFetched, 1)
  t.ok(c.bytesFetched > 0)
})

t.test('re-creating an unchanged builder uploads nothing but the manifest; same inputs, same digest', async (t) => {
  const a = await create(`${reg.host}/builder:3`, builderToml())
  const b = await create(`${reg.host}/builder:4`, builderToml())
  t.equal(JSON.parse(a.stdout).digest, JSON.parse(b.stdout).digest)
  t.equal(JSON.parse(b.stdout).transfer.blobsUploaded, 0)
})

t.test('a builder assembled by hand with umoci, the way pack lays it out, flattened, with lifecycle binaries', async (t) => {
  const layout = join(work, 'hand')
  await runToolOk('skopeo', ['copy', '--quiet', `oci:${base.layout}:build`, `oci:${layout}:builder`])
  const rootless = process.getuid?.() === 0 ? [] : ['--rootless']
  const img = `${layout}:builder`
  // umoci repack (not insert: umoci 0.4.7's insert leaves layer tars without their end blocks),
  // one repack per layer, as pack adds lifecycle, then buildpacks (here flattened: two in one layer), then order.toml.
  const bundle = join(work, 'hand-bundle')
  await runToolOk('umoci', ['unpack', ...rootless, '--image', img, bundle])
  const rootfs = join(bundle, 'rootfs')
  const repack = () => runToolOk('umoci', ['repack', '--refresh-bundle', '--image', img, bundle])
  await mkdir(join(rootfs, 'cnb/lifecycle'), { recursive: true })
  for (const b of ['detector', 'analyzer', 'builder', 'exporter', 'restorer', 'launcher', 'creator']) await writeFile(join(rootfs, 'cnb/lifecycle', b), '#!/bin/sh\nexit 99\n')
  await repack()
  await writeShBuildpack(join(rootfs, 'cnb/buildpacks/acme_hand/1.0.0'), 'acme/hand', '1.0.0', 'hello from a hand-made builder')
  await writeShBuildpack(join(rootfs, 'cnb/buildpacks/acme_other/3.0.0'), 'acme/other', '3.0.0', 'other')
  await repack()
  await writeFile(join(rootfs, 'cnb/order.toml'), '[[order]]\n[[order.group]]\nid = "acme/hand"\nversion = "1.0.0"\n')
  await repack()
  const cfg = await skopeoInspect(`oci:${img}`, { config: true }) as { rootfs: { diff_ids: string[] } }
  const flat = cfg.rootfs.diff_ids.at(-2)!
  const layers = { 'acme/hand': { '1.0.0': { api: '0.10', layerDiffID: flat } }, 'acme/other': { '3.0.0': { api: '0.10', layerDiffID: flat } } }
  const md = { description: 'by hand', buildpacks: [{ id: 'acme/hand', version: '1.0.0' }, { id: 'acme/other', version: '3.0.0' }], stack: { runImage: { image: `${reg.host}/run:v1`, mirrors: [] } }, lifecycle: { version: '0.20.0' }, createdBy: { name: 'umoci', version: '' } }
  await runToolOk('umoci', ['config', '--image', img, '--config.label', `io.buildpacks.buildpack.layers=${JSON.stringify(layers)}`,
    '--config.label', `io.buildpacks.builder.metadata=${JSON.stringify(md)}`, '--config.workingdir', '/layers', '--architecture', hostArchitecture()])
  await runToolOk('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${img}`, `docker://${reg.host}/hand-builder:1`])
  const r = await build(`${reg.host}/hand-app:1`, `${reg.host}/hand-builder:1`)
  t.equal(r.code, 0, r.stderr)
  t.same(JSON.parse(r.stdout).group, [{ id: 'acme/hand', version: '1.0.0' }])
  const run = await podmanRun(`${reg.host}/hand-app:1`)
  t.equal(run.stdout, 'hello from a hand-made builder (env: none)\n', run.stderr)
  const fromLayout = await build(`oci:${join(work, 'hand-out')}:x`, `oci:${img}`)
  t.equal(fromLayout.code, 0, fromLayout.stderr)
})

t.test('bad builders: a clear error naming the thing, an exit code from the table, nothing pushed', async (t) => {
  const notBuilder = await build(`${reg.host}/bad:1`, `${reg.host}/run:v1`)
  t.equal(notBuilder.code, 4)
  t.match(notBuilder.stderr, /run:v1: not a builder: it lacks the io\.buildpacks\.buildpack\.layers label/)
  const missing = await create(`${reg.host}/bad-builder:1`, builderToml('[[order]]\n[[order.group]]\nid = "acme/nope"\n'))
  t.equal(missing.code, 4)
  t.match(missing.stderr, /names acme\/nope, which none of its layers holds/)
  await writeComposite(join(work, 'bp/loop1'), 'acme/loop1', '1.0.0', [{ id: 'acme/loop2', version: '1.0.0' }])
  await writeComposite(join(work, 'bp/loop2'), 'acme/loop2', '1.0.0', [{ id: 'acme/loop1', version: '1.0.0' }])
  const cyc = await create(`${reg.host}/bad-builder:1`, builderToml('[[buildpacks]]\nuri = "bp/loop1"\n[[buildpacks]]\nuri = "bp/loop2"\n').replace('id = "acme/suite"', 'id = "acme/loop1"'))
  t.equal(cyc.code, 4)
  t.match(cyc.stderr, /cycle: acme\/loop1@1.0.0 -> acme\/loop2@1.0.0 -> acme\/loop1@1.0.0/)
  await writeShBuildpack(join(work, 'bp/old'), 'acme/old', '1.0.0', 'old', { api: '0.2' })
  const old = await create(`${reg.host}/bad-builder:1`, builderToml('[[buildpacks]]\nuri = "bp/old"\n'))
  t.equal(old.code, 12, old.stderr)
  t.match(old.stderr, /0\.2/)
  const tags = await runCli(['tags', `${reg.host}/bad-builder`])
  t.notMatch(tags.stdout, /1/, 'nothing pushed')
})

t.test('the default builder: used when nothing names buildpacks; with none set, the error says what to pass', async (t) => {
  process.env.XDG_CONFIG_HOME = join(work, 'xdg')
  const none = await runCli(['build', `${reg.host}/default-app:1`, '--path', app])
  t.equal(none.code, 3)
  t.match(none.stderr, /no buildpacks: pass --builder REF \(or set a default once with 'lading config default-builder REF'\)/)
  t.equal((await runCli(['config', 'default-builder', `${reg.host}/builder:1`])).code, 0)
  const r = await runCli(['build', `${reg.host}/default-app:1`, '--path', app, '--json'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stderr, `using the default builder ${reg.host}/builder:1`)
  const fromBuilder = await runCli(['build', `${reg.host}/default-app:2`, '--path', app, '--buildpack', join(work, 'bp/b'), '--buildpack', 'from=builder', '--json'])
  t.equal(fromBuilder.code, 0, fromBuilder.stderr)
  t.same(JSON.parse(fromBuilder.stdout).group[0], { id: 'acme/b', version: '2.0.0' })
  delete process.env.XDG_CONFIG_HOME
})

t.test('[lifecycle] uri: a lifecycle archive is added as pack adds it; inspect shows its version and APIs', async (t) => {
  const lc = join(work, 'lc')
  await mkdir(join(lc, 'lifecycle'), { recursive: true })
  await writeFile(join(lc, 'lifecycle.toml'), '[apis]\n[apis.buildpack]\ndeprecated = []\nsupported = ["0.10", "0.11"]\n[apis.platform]\ndeprecated = []\nsupported = ["0.13"]\n[lifecycle]\nversion = "0.20.9"\n')
  for (const b of ['detector', 'analyzer', 'builder', 'exporter', 'restorer', 'launcher', 'creator', 'rebaser']) await writeFile(join(lc, 'lifecycle', b), '#!/bin/sh\n', { mode: 0o755 })
  await runToolOk('tar', ['-czf', join(work, 'lifecycle.tgz'), '-C', lc, 'lifecycle.toml', 'lifecycle'])
  const r = await create(`${reg.host}/builder-lc:1`, builderToml(`[lifecycle]\nuri = "${join(work, 'lifecycle.tgz')}"\n`))
  t.equal(r.code, 0, r.stderr)
  t.notMatch(r.stderr, /no lifecycle binaries/)
  const i = JSON.parse((await runCli(['builder', 'inspect', `${reg.host}/builder-lc:1`, '--output', 'json'])).stdout)
  t.same(i.remote_info.lifecycle, { version: '0.20.9', buildpack_apis: { deprecated: [], supported: ['0.10', '0.11'] }, platform_apis: { deprecated: [], supported: ['0.13'] } })
  const human = await runCli(['builder', 'inspect', `${reg.host}/builder-lc:1`])
  t.match(human.stdout, /Lifecycle:\n  Version: 0\.20\.9\n  Buildpack APIs:\n    Deprecated: \(none\)\n    Supported: 0\.10, 0\.11/)
  const layout = join(work, 'lc-readback')
  await runToolOk('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${reg.host}/builder-lc:1`, `oci:${layout}:b`])
  const rootfs = await umociUnpack(layout, 'b', join(work, 'lc-bundle'))
  t.equal((await stat(join(rootfs, 'cnb/lifecycle/detector'))).mode & 0o777, 0o755)
  t.match(await readFile(join(rootfs, 'cnb/lifecycle/lifecycle.toml'), 'utf8'), /0\.20\.9/)
  t.equal(await readlink(join(rootfs, 'lifecycle')), '/cnb/lifecycle')
  const b = await build(`${reg.host}/lc-app:1`, `${reg.host}/builder-lc:1`)
  t.equal(b.code, 0, 'lading ignores the lifecycle binaries')
})
