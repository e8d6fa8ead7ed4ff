import t from 'tap'
import { readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { LadingError } from '../../lib/errors.js'
import { buildStoredLayer } from '../../lib/layer/build-layer.js'
import { listTar, tempDir } from './helpers.js'

t.test('stores what the producer writes', async (t) => {
  const tmp = await tempDir(t)
  const layer = await buildStoredLayer(async (w) => {
    await w.file('f', { mode: 0o600, uid: 0, gid: 0 }, 2, Buffer.from('hi'))
  }, { storeDir: tmp, mtime: new Date('2000-01-01T00:00:00Z') }, 'ctx')
  const e = await listTar(await readFile(layer.path))
  t.same(e.map((x) => [x.name, x.mode, x.mtime]), [['f', 0o600, Date.parse('2000-01-01T00:00:00Z')]])
})

t.test('a producer failure aborts the store and is the error reported', async (t) => {
  const tmp = await tempDir(t)
  const err = await buildStoredLayer(async (w) => {
    await w.directory('d', { mode: 0o755, uid: 0, gid: 0 })
    throw new LadingError('ERR_TEST_PRODUCER', 'producer broke')
  }, { storeDir: tmp }, 'building x').then(() => new LadingError('ERR_NONE', 'resolved'), (e: unknown) => e as LadingError)
  t.equal(err.code, 'ERR_TEST_PRODUCER')
  t.match(err.message, /^building x: /)
  t.same(await readdir(join(tmp, 'sha256')), [], 'no temp file or blob left')
})

t.test('a store failure stops the producer and is the error reported (no hang)', async (t) => {
  const tmp = await tempDir(t)
  await writeFile(join(tmp, 'file'), '')
  let produced = 0
  const err = await buildStoredLayer(async (w) => {
    for (let i = 0; i < 1000; i++) {
      await w.file(`f${i}`, { mode: 0o644, uid: 0, gid: 0 }, 4096, Buffer.alloc(4096))
      produced++
    }
  }, { storeDir: join(tmp, 'file', 'store') }, 'building y').then(() => new LadingError('ERR_NONE', 'resolved'), (e: unknown) => e as LadingError)
  t.match(err.message, /^building y: store layer in .*ENOTDIR/)
  t.ok(produced < 1000, 'the producer stopped early')
})

t.test('a signal stops a big file mid-read: the abort reason is reported and nothing is left in the store', async (t) => {
  const tmp = await tempDir(t)
  const src = join(tmp, 'big')
  // 512 MiB of zeros written sparsely costs no disk; reading and deflating all of it takes seconds.
  const { truncate } = await import('node:fs/promises')
  await writeFile(src, '')
  await truncate(src, 512 * 1024 * 1024)
  const { openSync, closeSync } = await import('node:fs')
  const store = join(tmp, 'store')
  const ac = new AbortController()
  const fd = openSync(src, 'r')
  t.teardown(() => closeSync(fd))
  const started = Date.now()
  setTimeout(() => ac.abort(new LadingError('ERR_TERMINATED', 'terminated (SIGTERM)')), 100)
  const err = await buildStoredLayer(async (w) => {
    await w.file('big', { mode: 0o644, uid: 0, gid: 0 }, 512 * 1024 * 1024, { fd, path: src })
  }, { storeDir: store, signal: ac.signal }, 'layer from x').then(() => undefined, (e: unknown) => e as LadingError)
  t.equal(err?.code, 'ERR_TERMINATED', String(err?.message))
  t.ok(Date.now() - started < 2000, `stopped after ${Date.now() - started} ms, not at the file's end`)
  t.same(await readdir(join(store, 'sha256')), [], 'no temp file or blob left')
})

t.test('an already aborted signal makes no temp file at all', async (t) => {
  const tmp = await tempDir(t)
  const ac = new AbortController()
  ac.abort(new LadingError('ERR_ABORTED', 'interrupted (SIGINT)'))
  const err = await buildStoredLayer(async () => {}, { storeDir: tmp, signal: ac.signal }, 'ctx').then(() => undefined, (e: unknown) => e as LadingError)
  t.equal(err?.code, 'ERR_ABORTED')
  t.same(await readdir(tmp), [])
})
