import t from 'tap'
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { digestHex } from '../../lib/digest/index.js'
import { appendLayers, emptyImage, withConfig, type Image } from '../../lib/image/index.js'
import { layerFromEntries } from '../../lib/layer/index.js'
import { openLayout, type LayoutRepository } from '../../lib/layout/index.js'
import { unpackBuildImage } from '../../lib/lifecycle/build-image.js'
import { PhaseError } from '../../lib/lifecycle/errors.js'
import { hostPlatform } from '../../lib/oci/index.js'
import { pushImage } from '../../lib/remote/index.js'
import { makeBaseImages } from '../../registry-fixtures/index.js'

let work: string
let layout: LayoutRepository
let image: Image
t.before(async () => {
  work = await mkdtemp(join(tmpdir(), 'lading-bimg-'))
  layout = await openLayout(join(work, 'images'), { create: true })
  const storeDir = join(work, 'store')
  const l1 = await layerFromEntries([
    { path: '/bin/tool', type: 'file', mode: 0o755, content: '#!/bin/sh\n' },
    { path: '/bin/alias', type: 'symlink', linkname: 'tool' },
    { path: '/etc/gone', type: 'file', content: 'x' },
  ], { storeDir })
  const l2 = await layerFromEntries([{ path: '/etc/.wh.gone', type: 'file' }, { path: '/etc/added', type: 'file', content: 'y' }], { storeDir })
  image = appendLayers(emptyImage(hostPlatform()), { layer: l1 }, { layer: l2 })
  const tag = async (name: string, env: string[] | undefined) => pushImage(layout, withConfig(image, (c) => ({ ...c, config: env ? { Env: env } : {} })), [name])
  await tag('build', ['CNB_USER_ID=1234', 'CNB_GROUP_ID=0', 'PATH=/bin'])
  await tag('no-env', undefined)
  await tag('bad-ids', ['CNB_USER_ID=abc', 'CNB_GROUP_ID=-1'])
  await tag('frac-ids', ['CNB_USER_ID=1.5', 'CNB_GROUP_ID='])
})
t.teardown(() => rm(work, { recursive: true, force: true }))

const src = (identifier: string) => ({ repo: layout, identifier, display: `oci:images:${identifier}` })

t.test('unpacks every layer in order (whiteouts applied) under the manifest digest; user and PATH from Env', async (t) => {
  const cache = join(work, 'c1')
  const b = await unpackBuildImage(src('build'), cache)
  const built = withConfig(image, (c) => ({ ...c, config: { Env: ['CNB_USER_ID=1234', 'CNB_GROUP_ID=0', 'PATH=/bin'] } }))
  t.same(b, { rootfs: join(cache, digestHex(await built.digest())), uid: 1234, gid: 0, path: '/bin' })
  t.equal(await readFile(join(b.rootfs, 'bin/tool'), 'utf8'), '#!/bin/sh\n')
  t.equal((await stat(join(b.rootfs, 'bin/tool'))).mode & 0o777, 0o755)
  t.equal(await readlink(join(b.rootfs, 'bin/alias')), 'tool')
  t.same((await readdir(join(b.rootfs, 'etc'))).sort(), ['added'], 'the whiteout removed etc/gone')
  t.same((await readdir(cache)).filter((n) => n !== 'blobs'), [digestHex(await built.digest())], 'no partial dir left')
})

t.test('a second unpack of the same image reuses the tree; a stale partial dir is replaced', async (t) => {
  const cache = join(work, 'c2')
  const first = await unpackBuildImage(src('build'), cache)
  await writeFile(join(first.rootfs, 'marker'), 'kept')
  const second = await unpackBuildImage(src('build'), cache)
  t.equal(second.rootfs, first.rootfs)
  t.equal(await readFile(join(second.rootfs, 'marker'), 'utf8'), 'kept', 'not extracted again')
  const other = await unpackBuildImage(src('no-env'), cache)
  t.not(other.rootfs, first.rootfs, 'another image, another tree')
  const cache3 = join(work, 'c3')
  const digest = digestHex(await withConfig(image, (c) => ({ ...c, config: {} })).digest())
  const partial = join(cache3, `${digest}.partial-${process.pid}`)
  await mkdir(partial, { recursive: true })
  await writeFile(join(partial, 'junk'), 'from a crashed unpack')
  const b = await unpackBuildImage(src('no-env'), cache3)
  t.same((await readdir(cache3)).filter((n) => n !== 'blobs'), [digest])
  t.notOk((await readdir(b.rootfs)).includes('junk'))
})

t.test('CNB_USER_ID/CNB_GROUP_ID: absent or not a non-negative integer gives 1000; no PATH gives the standard one', async (t) => {
  const cache = join(work, 'c4')
  t.match(await unpackBuildImage(src('no-env'), cache), { uid: 1000, gid: 1000, path: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' })
  t.match(await unpackBuildImage(src('bad-ids'), cache), { uid: 1000, gid: 1000 })
  t.match(await unpackBuildImage(src('frac-ids'), cache), { uid: 1000, gid: 1000 })
})

t.test('a missing build image is exit 33 naming it', async (t) => {
  await t.rejects(unpackBuildImage(src('nope'), join(work, 'c5')), { constructor: PhaseError, phase: 'analyze', exitCode: 33, message: /build image oci:images:nope/ })
})

t.test('the fixture build image (umoci-made): busybox tree and user 1000:1000', async (t) => {
  const base = await makeBaseImages(join(work, 'base'))
  const b = await unpackBuildImage({ repo: await openLayout(base.layout), identifier: 'build', display: base.build }, join(work, 'c6'))
  t.equal(b.uid, 1000)
  t.equal(b.gid, 1000)
  t.ok((await stat(join(b.rootfs, 'bin/busybox'))).isFile())
  t.equal(await readlink(join(b.rootfs, 'bin/sh')), 'busybox')
})

t.test('layer blobs are cached by digest: a second image sharing layers downloads none of them again', async (t) => {
  const { readdir: rd } = await import('node:fs/promises')
  const { mkdtemp: mk, rm: rmd } = await import('node:fs/promises')
  const { tmpdir: td } = await import('node:os')
  const { join: j } = await import('node:path')
  const { makeBaseImages } = await import('../../registry-fixtures/index.js')
  const { openLayout } = await import('../../lib/layout/index.js')
  const { unpackBuildImage } = await import('../../lib/lifecycle/index.js')
  const work = await mk(j(td(), 'lading-bi-blobs-'))
  t.teardown(() => rmd(work, { recursive: true, force: true }))
  const base = await makeBaseImages(j(work, 'base'))
  const repo = await openLayout(base.layout)
  const cache = j(work, 'cache')
  await unpackBuildImage({ repo, identifier: 'run-v1', display: 'run-v1' }, cache)
  const after1 = (await rd(j(cache, 'blobs', 'blobs', 'sha256'))).length
  await unpackBuildImage({ repo, identifier: 'run-v2', display: 'run-v2' }, cache)
  const after2 = (await rd(j(cache, 'blobs', 'blobs', 'sha256'))).length
  t.equal(after1, 2, 'both layers of run-v1')
  t.equal(after2, 3, 'run-v2 shares the busybox layer: one new blob')
})

t.test('6 concurrent unpacks of one uncached build image all succeed and share one tree', async (t) => {
  const cache = join(work, 'c-concurrent')
  const all = await Promise.all(Array.from({ length: 6 }, () => unpackBuildImage(src('build'), cache)))
  t.equal(new Set(all.map((b) => b.rootfs)).size, 1)
  t.equal(await readFile(join(all[0]!.rootfs, 'bin/tool'), 'utf8'), '#!/bin/sh\n')
  t.same((await readdir(cache)).filter((n) => n !== 'blobs'), [digestHex(await withConfig(image, (c) => ({ ...c, config: { Env: ['CNB_USER_ID=1234', 'CNB_GROUP_ID=0', 'PATH=/bin'] } })).digest())], 'no partial dir left')
})

t.test('6 parallel lading processes unpacking one uncached build image all succeed; dead processes\' partial dirs are removed', async (t) => {
  const { spawn } = await import('node:child_process')
  const { fileURLToPath } = await import('node:url')
  const cache = join(work, 'c-processes')
  await mkdir(cache, { recursive: true })
  // a dead process's leftover (pid 2^22 + 1 is above pid_max's default, so never alive)
  await mkdir(join(cache, 'deadbeef.partial-4194305'))
  await writeFile(join(cache, 'deadbeef.partial-4194305', 'junk'), 'x')
  const script = `import { unpackBuildImage } from ${JSON.stringify(fileURLToPath(new URL('../../lib/lifecycle/build-image.ts', import.meta.url)))}
import { openLayout } from ${JSON.stringify(fileURLToPath(new URL('../../lib/layout/index.ts', import.meta.url)))}
const layout = await openLayout(${JSON.stringify(join(work, 'images'))})
const b = await unpackBuildImage({ repo: layout, identifier: 'no-env', display: 'x' }, ${JSON.stringify(cache)})
console.log(b.rootfs)`
  const codes = await Promise.all(Array.from({ length: 6 }, () => new Promise<{ code: number | null; out: string }>((resolve) => {
    const c = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    c.stdout.on('data', (d) => (out += d))
    c.stderr.on('data', (d) => (out += d))
    c.on('exit', (code) => resolve({ code, out }))
  })))
  codes.forEach((c, i) => t.equal(c.code, 0, `process ${i}: ${c.out}`))
  t.equal(new Set(codes.map((c) => c.out)).size, 1, 'all use the same tree')
  t.same((await readdir(cache)).filter((n) => n.includes('.partial-')), [], 'no partial dir left, the dead one included')
})
