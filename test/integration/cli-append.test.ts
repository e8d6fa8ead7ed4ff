import t from 'tap'
import { writeFile, mkdir, symlink, chmod } from 'node:fs/promises'
import { join } from 'node:path'
import { podmanRun, skopeoInspect, umociUnpack, type RegistryFixture, type FaultProxy } from '../../registry-fixtures/index.js'
import { runCli, runBin } from '../helpers/cli.js'
import { registryEnv } from '../helpers/registry-env.js'
import { readFile } from 'node:fs/promises'

let reg: RegistryFixture
let proxy: FaultProxy
let work: string
let app: string

t.before(async () => {
  ;({ work, reg, proxy } = await registryEnv(t, { name: 'it-append' }))
  app = join(work, 'app')
  await mkdir(join(app, 'bin'), { recursive: true })
  await writeFile(join(app, 'hello.txt'), 'hello from lading\n')
  await writeFile(join(app, 'bin', 'greet'), '#!/bin/sh\necho "greetings, $1"\n')
  await chmod(join(app, 'bin', 'greet'), 0o755)
  await symlink('hello.txt', join(app, 'link.txt'))
})

t.test('append through bin/lading: podman pulls and runs the new image', async (t) => {
  const dst = `${proxy.host}/app:1`
  const before = proxy.requests.length
  const r = await runBin(['append', `${proxy.host}/run:v1`, dst, '--layer', `${app}:/app`, '--json'])
  t.equal(r.code, 0, r.stderr)
  const out = JSON.parse(r.stdout)
  const base = JSON.parse((await runCli(['manifest', `${reg.host}/run:v1`])).stdout)
  const pushedLayerBytes = proxy.requests.slice(before)
    .filter((q) => /\/blobs\/uploads\//.test(q.path) && (q.method === 'PATCH' || q.method === 'PUT'))
    .reduce((n, q) => n + q.bytesIn, 0)
  const newLayer = JSON.parse((await runCli(['manifest', dst])).stdout).layers.at(-1)
  t.ok(pushedLayerBytes <= newLayer.size + 4096, `only the new layer and config were uploaded (${pushedLayerBytes} bytes)`)
  t.equal(out.transfer.blobsMounted, base.layers.length, 'base layers mounted, not uploaded')
  const run = await podmanRun(`${reg.host}/app:1`, { entrypoint: '/bin/sh', args: ['-c', 'cat /app/link.txt; /app/bin/greet podman; cat /run-image-version'] })
  t.equal(run.code, 0, run.stderr)
  t.equal(run.stdout, 'hello from lading\ngreetings, podman\nv1\n')
  const info = await skopeoInspect(`${reg.host}/app:1`) as { Layers: string[]; Digest: string }
  t.equal(info.Layers.length, base.layers.length + 1)
  t.equal(info.Digest, out.digest)
})

t.test('append is deterministic: the same inputs give the same digest', async (t) => {
  const a = await runCli(['append', `${reg.host}/run:v1`, `${reg.host}/app:det-a`, '--layer', `${app}:/app`, '--uid', '1000', '--gid', '1000'])
  const b = await runCli(['append', `${reg.host}/run:v1`, `${reg.host}/app:det-b`, '--layer', `${app}:/app`, '--uid', '1000', '--gid', '1000'])
  t.equal(a.code, 0, a.stderr)
  t.equal(a.stdout, b.stdout)
  const layout = join(work, 'det-layout')
  const c = await runCli(['append', `${reg.host}/run:v1`, `oci:${layout}:x`, '--layer', `${app}:/app`, '--uid', '1000', '--gid', '1000'])
  t.equal(c.stdout, a.stdout, 'layout and registry give the same digest')
  const bundle = join(work, 'det-bundle')
  await umociUnpack(layout, 'x', bundle)
  t.equal(await readFile(join(bundle, 'rootfs', 'app', 'hello.txt'), 'utf8'), 'hello from lading\n')
})

t.test('append from scratch into an OCI layout, several layers, config readable', async (t) => {
  const other = join(work, 'other')
  await mkdir(other, { recursive: true })
  await writeFile(join(other, 'x'), 'x')
  const layout = join(work, 'scratch-layout')
  const r = await runCli(['append', 'scratch', `oci:${layout}`, '--layer', `${app}:/srv/app`, '--layer', `${other}:/etc/other`])
  t.equal(r.code, 0, r.stderr)
  const cfg = JSON.parse((await runCli(['config', `oci:${layout}`])).stdout)
  t.equal(cfg.rootfs.diff_ids.length, 2)
  t.equal(cfg.history.length, 2)
  t.equal(cfg.os, 'linux')
})

t.test('append refuses bad input with clear errors', async (t) => {
  const missing = await runCli(['append', 'scratch', `oci:${join(work, 'x')}`, '--layer', `${join(work, 'nope')}:/x`])
  t.equal(missing.code, 3)
  t.match(missing.stderr, /not a directory/)
  const rel = await runCli(['append', 'scratch', `oci:${join(work, 'x')}`, '--layer', `${app}`])
  t.equal(rel.code, 3)
  t.match(rel.stderr, /DIR:PATH/)
  const badBase = await runCli(['append', `${reg.host}/UPPER:1`, `oci:${join(work, 'x')}`, '--layer', `${app}:/a`])
  t.equal(badBase.code, 4)
  t.match(badBase.stderr, /UPPER/)
})
