import t from 'tap'
import { createReadStream, readFileSync, readlinkSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { createGunzip } from 'node:zlib'
import tarStream from 'tar-stream'
import { BASE_IMAGE_LABELS, hostArchitecture, makeBaseImages, pushBaseImages, runTool, skopeoInspect, startRegistry,
  umociUnpack } from '../../registry-fixtures/index.js'

interface Desc { digest: string; mediaType: string; annotations?: Record<string, string> }

function blobPath(layout: string, digest: string): string {
  const [alg, hex] = digest.split(':')
  return join(layout, 'blobs', alg ?? '', hex ?? '')
}

/** Parses a gzipped layer with tar-stream to its end; rejects on a truncated or malformed tar. */
async function tarStreamNames(file: string): Promise<string[]> {
  const names: string[] = []
  const extract = tarStream.extract()
  extract.on('entry', (header, stream, next) => {
    names.push(header.name)
    stream.on('end', next)
    stream.resume()
  })
  await pipeline(createReadStream(file), createGunzip(), extract)
  return names
}

t.test('layout has run-v1, run-v2 and build with the promised config', async (t) => {
  const dir = t.testdir()
  const imgs = await makeBaseImages(join(dir, 'layout'))
  t.equal(imgs.runV1, `oci:${imgs.layout}:run-v1`)
  const index = JSON.parse(readFileSync(join(imgs.layout, 'index.json'), 'utf8')) as {
    manifests: Array<{ annotations: Record<string, string> }> }
  t.same(index.manifests.map((m) => m.annotations['org.opencontainers.image.ref.name']).sort(), ['build', 'run-v1', 'run-v2'])
  t.equal(await makeBaseImages(join(dir, 'layout')), await makeBaseImages(join(dir, 'layout')), 'cached per outDir')

  for (const ref of [imgs.runV1, imgs.runV2]) {
    const cfg = await skopeoInspect(ref, { config: true }) as { os: string; architecture: string;
      config: { User: string; Env: string[]; Labels: Record<string, string> }; rootfs: { diff_ids: string[] } }
    t.equal(cfg.os, 'linux')
    t.equal(cfg.architecture, hostArchitecture())
    t.equal(cfg.config.User, '1000:1000')
    t.match(cfg.config.Env, [/^PATH=/])
    t.equal(cfg.config.Labels['io.buildpacks.stack.id'], BASE_IMAGE_LABELS.stackId)
    t.equal(cfg.config.Labels['io.buildpacks.base.distro.name'], 'busybox')
    t.equal(cfg.rootfs.diff_ids.length, 2)
  }
  const build = await skopeoInspect(imgs.build, { config: true }) as {
    config: { Env: string[]; Labels: Record<string, string> }; rootfs: { diff_ids: string[] } }
  t.ok(build.config.Env.includes('CNB_USER_ID=1000') && build.config.Env.includes('CNB_GROUP_ID=1000'))
  t.equal(build.config.Labels['io.buildpacks.base.id'], BASE_IMAGE_LABELS.buildBaseId)
  const v1 = await skopeoInspect(imgs.runV1, { config: true }) as { rootfs: { diff_ids: string[] } }
  const v2 = await skopeoInspect(imgs.runV2, { config: true }) as { rootfs: { diff_ids: string[] } }
  t.equal(v1.rootfs.diff_ids[0], v2.rootfs.diff_ids[0], 'run images share the busybox layer')
  t.equal(v1.rootfs.diff_ids[0], build.rootfs.diff_ids[0], 'build image too')
  t.not(v1.rootfs.diff_ids[1], v2.rootfs.diff_ids[1])
})

t.test('every layer of every tag is a complete tar (GNU tar and tar-stream)', async (t) => {
  const dir = t.testdir()
  const imgs = await makeBaseImages(join(dir, 'layout'))
  const index = JSON.parse(readFileSync(join(imgs.layout, 'index.json'), 'utf8')) as { manifests: Desc[] }
  t.equal(index.manifests.length, 3)
  for (const m of index.manifests) {
    const tag = m.annotations?.['org.opencontainers.image.ref.name'] ?? m.digest
    const manifest = JSON.parse(readFileSync(blobPath(imgs.layout, m.digest), 'utf8')) as { layers: Desc[] }
    t.ok(manifest.layers.length > 0, `${tag} has layers`)
    for (const layer of manifest.layers) {
      const file = blobPath(imgs.layout, layer.digest)
      t.equal(layer.mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip', `${tag} ${layer.digest} is a gzipped tar`)
      const gnu = await runTool('tar', ['tzf', file])
      t.equal(gnu.code, 0, `${tag} ${layer.digest}: tar tzf exits 0 ${gnu.stderr}`)
      const names = await tarStreamNames(file)
      t.same(names.filter((n) => n !== '').sort(), gnu.stdout.split('\n').filter((n) => n !== '').sort(),
        `${tag} ${layer.digest}: tar-stream reads the same entries as GNU tar`)
    }
  }
})

t.test('contents, read back with umoci', async (t) => {
  const dir = t.testdir()
  const imgs = await makeBaseImages(join(dir, 'layout'))
  const v1 = await umociUnpack(imgs.layout, 'run-v1', join(dir, 'v1'))
  const v2 = await umociUnpack(imgs.layout, 'run-v2', join(dir, 'v2'))
  t.equal(readFileSync(join(v1, 'run-image-version'), 'utf8'), 'v1\n')
  t.equal(readFileSync(join(v2, 'run-image-version'), 'utf8'), 'v2\n')
  t.match(readFileSync(join(v1, 'etc/os-release'), 'utf8'), /VERSION_ID=1\n/)
  t.match(readFileSync(join(v2, 'etc/os-release'), 'utf8'), /VERSION_ID=2\n/)
  t.match(readFileSync(join(v1, 'etc/passwd'), 'utf8'), /^cnb:x:1000:1000:/m)
  t.match(readFileSync(join(v1, 'etc/group'), 'utf8'), /^cnb:x:1000:/m)
  for (const a of ['sh', 'cat', 'echo', 'ls', 'env', 'id']) t.equal(readlinkSync(join(v1, 'bin', a)), 'busybox', a)
  t.ok(statSync(join(v1, 'bin/busybox')).mode & 0o111, 'busybox executable')
  t.equal(statSync(join(v1, 'tmp')).mode & 0o7777, 0o1777)
})

t.test('pushBaseImages copies to a registry with skopeo', async (t) => {
  const dir = t.testdir()
  const imgs = await makeBaseImages(join(dir, 'layout'))
  const reg = await startRegistry()
  t.teardown(() => reg.stop())
  const refs = await pushBaseImages(imgs.layout, reg.host)
  t.same(refs, { runV1: `${reg.host}/run:v1`, runV2: `${reg.host}/run:v2`, build: `${reg.host}/build:latest` })
  const local = await skopeoInspect(imgs.runV2, { raw: true })
  const remote = await skopeoInspect(refs.runV2, { raw: true })
  t.same(remote, local, 'manifest unchanged by the copy')

  const tls = await startRegistry({ variant: 'tls-basic' })
  t.teardown(() => tls.stop())
  const creds = `${tls.username}:${tls.password}`
  const pushed = await pushBaseImages(imgs.layout, tls.host, { tlsVerify: true, creds, certDir: tls.certDir })
  const info = await skopeoInspect(pushed.build, { tlsVerify: true, creds, caDir: tls.certDir })
  t.equal((info.Labels as Record<string, string>)['io.buildpacks.base.id'], BASE_IMAGE_LABELS.buildBaseId)
})
