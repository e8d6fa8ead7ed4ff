import t from 'tap'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { makeBaseImages, pushBaseImages, skopeoInspect, skopeoRawManifest, startRegistry,
  umociUnpack } from '../../registry-fixtures/index.js'

t.test('skopeoInspect: summary, raw manifest and config from a registry', async (t) => {
  const imgs = await makeBaseImages(join(t.testdir(), 'layout'))
  const reg = await startRegistry({ variant: 'token' })
  t.teardown(() => reg.stop())
  const creds = `${reg.username}:${reg.password}`
  const refs = await pushBaseImages(imgs.layout, reg.host, { creds })
  const summary = await skopeoInspect(refs.runV1, { creds })
  const raw = await skopeoRawManifest(refs.runV1, { creds })
  t.equal(summary.Digest, 'sha256:' + createHash('sha256').update(raw).digest('hex'), 'digest of the exact bytes')
  const manifest = await skopeoInspect(`docker://${refs.runV1}`, { creds, raw: true })
  t.equal(manifest.schemaVersion, 2)
  t.same(JSON.parse(raw), manifest)
  t.equal((await skopeoInspect(refs.runV1, { creds, config: true })).os, 'linux')
  await t.rejects(skopeoInspect(`${reg.host}/nope:latest`, { creds }), { code: 'ERR_FIXTURE_TOOL_FAILED' })
})

t.test('umociUnpack returns the rootfs and refuses a non-empty dest', async (t) => {
  const dir = t.testdir({ full: { x: 'y' } })
  const imgs = await makeBaseImages(join(dir, 'layout'))
  const rootfs = await umociUnpack(imgs.layout, 'build', join(dir, 'bundle'))
  t.equal(rootfs, join(dir, 'bundle', 'rootfs'))
  t.ok(existsSync(join(rootfs, 'bin/busybox')))
  t.notOk(existsSync(join(rootfs, 'run-image-version')), 'build image has no run marker')
  t.match(readFileSync(join(rootfs, 'etc/passwd'), 'utf8'), /cnb/)
  await t.rejects(umociUnpack(imgs.layout, 'build', join(dir, 'full')), { code: 'ERR_FIXTURE_UNPACK' })
})
