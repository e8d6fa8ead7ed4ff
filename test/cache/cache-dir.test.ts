import t from 'tap'
import { chmod, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import type { Layer } from '../../lib/image/index.js'
import { dirCache } from '../../lib/cache/cache-dir.js'
import { LABELS } from '../../lib/platform/index.js'
import { workDir } from '../helpers/work-dir.js'
import { cacheLayer, cacheMetadata, readAll } from './fixtures.js'

let work: string
t.before(async () => { work = await workDir(t, 'cdir') })

const store = (): string => join(work, 'store')
const mkLayer = (name: string, content: string) => cacheLayer(store(), name, content)
const md = (sha: string) => cacheMetadata(sha, { v: 'x', n: 1 }, false)

t.test('an empty or missing cache dir: no metadata, no layers', async (t) => {
  const c = dirCache(join(work, 'none'))
  t.equal(c.kind, 'dir')
  t.equal(c.describe(), join(work, 'none'))
  t.same(await c.metadata(), { buildpacks: [] })
  const a = await mkLayer('a', 'a')
  t.equal(await c.open(a.diffIdValue), undefined)
  t.equal(await c.reuse(a.diffIdValue), undefined)
})

t.test('save writes uncompressed tars by diffID and the metadata; a new instance reads them back', async (t) => {
  const dir = join(work, 'c1')
  const a = await mkLayer('a', 'aaa')
  const b = await mkLayer('b', 'bbb')
  await dirCache(dir).save([{ layer: a }, { layer: b }, { layer: a }], md(a.diffIdValue))
  t.same((await readdir(join(dir, 'committed'))).sort(), [`${a.diffIdValue}.tar`, `${b.diffIdValue}.tar`, LABELS.CACHE_METADATA].sort(), 'a duplicate entry is written once')
  t.same((await readdir(dir)).sort(), ['committed'], 'no staging or backup left')
  const c = dirCache(dir)
  t.same(await c.metadata(), md(a.diffIdValue), 'metadata round trip')
  t.same(await readAll(await c.open(a.diffIdValue)), await readAll(await a.uncompressed()))
  const r = await c.reuse(b.diffIdValue) as Layer
  t.equal(await r.diffId(), b.diffIdValue)
  t.equal(await r.digest(), b.diffIdValue, 'an uncompressed tar: digest is the diffID')
  t.equal(await r.size(), (await stat(join(dir, 'committed', `${b.diffIdValue}.tar`))).size)
  t.equal(r.mediaType, 'application/vnd.oci.image.layer.v1.tar')
  t.same(await readAll(await r.compressed()), await readAll(await b.uncompressed()))
  t.same(await readAll(await r.uncompressed()), await readAll(await b.uncompressed()), 're-openable')
})

t.test('a second save hard-links reused tars, drops what is not kept, and replaces the metadata', async (t) => {
  const dir = join(work, 'c2')
  const a = await mkLayer('a', 'one')
  const b = await mkLayer('b', 'two')
  await dirCache(dir).save([{ layer: a }, { layer: b }], md(a.diffIdValue))
  const inoA = (await stat(join(dir, 'committed', `${a.diffIdValue}.tar`))).ino
  const c = dirCache(dir)
  const kept = (await c.reuse(a.diffIdValue))!
  const n = await mkLayer('n', 'new')
  await c.save([{ layer: kept }, { layer: n }], { buildpacks: [] })
  const st = await stat(join(dir, 'committed', `${a.diffIdValue}.tar`))
  t.equal(st.ino, inoA, 'same inode: linked, not copied')
  t.equal(st.nlink, 1, 'the old name is gone with the backup')
  t.same((await readdir(join(dir, 'committed'))).sort(), [`${a.diffIdValue}.tar`, `${n.diffIdValue}.tar`, LABELS.CACHE_METADATA].sort())
  t.same(await dirCache(dir).metadata(), { buildpacks: [] })
  t.same((await readdir(dir)).sort(), ['committed'])
})

t.test('a failing save keeps the old cache intact, and the next save still works', async (t) => {
  const dir = join(work, 'c3')
  const a = await mkLayer('a', 'old')
  await dirCache(dir).save([{ layer: a }], md(a.diffIdValue))
  const broken: Layer = {
    mediaType: 'application/vnd.oci.image.layer.v1.tar',
    digest: async () => a.diffIdValue, diffId: async () => 'sha256:' + 'e'.repeat(64) as never, size: async () => 1,
    compressed: async () => { throw new Error('boom') },
    uncompressed: async () => Readable.from((async function* () { yield Buffer.from('partial'); throw new Error('stream broke') })()),
  }
  await t.rejects(dirCache(dir).save([{ layer: a }, { layer: broken }], { buildpacks: [] }), { message: /save cache .*stream broke/ })
  const c = dirCache(dir)
  t.same(await c.metadata(), md(a.diffIdValue), 'old metadata')
  t.same(await readAll(await c.open(a.diffIdValue)), await readAll(await a.uncompressed()), 'old tar')
  t.equal(await c.open('sha256:' + 'e'.repeat(64) as never), undefined, 'the partial tar is not committed')
  const b = await mkLayer('b', 'next')
  await dirCache(dir).save([{ layer: b }], { buildpacks: [] })
  t.same((await readdir(join(dir, 'committed'))).sort(), [`${b.diffIdValue}.tar`, LABELS.CACHE_METADATA].sort())
})

t.test('an unwritable cache dir is a wrapped error naming the dir', { skip: process.getuid?.() === 0 ? 'root ignores permissions' : false }, async (t) => {
  const dir = join(work, 'ro')
  await dirCache(dir).save([], { buildpacks: [] })
  await chmod(dir, 0o555)
  await t.rejects(dirCache(dir).save([], { buildpacks: [] }), { message: new RegExp(`save cache ${dir}`) })
  await chmod(dir, 0o755)
})

t.test('saving no entries gives a metadata-only cache', async (t) => {
  const dir = join(work, 'c4')
  await dirCache(dir).save([], md('sha256:' + '1'.repeat(64)))
  t.same(await readdir(join(dir, 'committed')), [LABELS.CACHE_METADATA])
  t.match(await readFile(join(dir, 'committed', LABELS.CACHE_METADATA), 'utf8'), /"buildpacks"/)
})

t.test('a save that died between its renames: the previous cache is taken from the backup', async (t) => {
  const { mkdtemp, mkdir, writeFile, rm } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const { dirCache } = await import('../../lib/cache/index.js')
  const dir = await mkdtemp(join(tmpdir(), 'lading-cache-recover-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await mkdir(join(dir, 'committed-backup'), { recursive: true })
  await writeFile(join(dir, 'committed-backup', 'io.buildpacks.lifecycle.cache.metadata'), JSON.stringify({ buildpacks: [{ key: 'a/b', version: '1', layers: {} }] }))
  const md = await dirCache(dir).metadata()
  t.equal(md.buildpacks[0]?.key, 'a/b')
})
