import t from 'tap'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { sha256 } from '../../lib/digest/index.js'
import type { TransferEvent } from '../../lib/oci/index.js'
import { LayoutBlobStore } from '../../lib/layout/index.js'
import { hashStream } from '../helpers/validate.js'

async function store(t: { teardown(fn: () => unknown): void }): Promise<LayoutBlobStore> {
  const dir = await mkdtemp(join(tmpdir(), 'lading-blobs-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return new LayoutBlobStore(dir)
}

t.test('put bytes and streams; stat; open verifies', async (t) => {
  const s = await store(t)
  const bytes = Buffer.from('hello blob')
  const d = await s.put(bytes, { mediaType: 'x/y' })
  t.same(d, { mediaType: 'x/y', digest: sha256(bytes), size: bytes.length })
  t.same(await readFile(s.path(d.digest)), bytes)
  t.same(await s.stat(d.digest), { mediaType: 'application/octet-stream', digest: d.digest, size: bytes.length })
  t.equal(await s.stat(sha256('absent')), undefined)
  t.same(await hashStream(await s.open(d)), { digest: d.digest, size: d.size })

  const big = Buffer.alloc(300_000, 7)
  const events: TransferEvent[] = []
  const d2 = await s.put(() => Readable.from([big.subarray(0, 100_000), big.subarray(100_000)]), { digest: sha256(big), size: big.length }, { onProgress: (e) => events.push(e) })
  t.equal(d2.digest, sha256(big))
  t.equal(d2.mediaType, 'application/octet-stream')
  t.ok(events.at(-1)?.done, 'final progress event')
  t.equal(events.at(-1)?.bytes, big.length)
  // Unknown digest: computed while writing.
  const d3 = await s.put(() => Readable.from([Buffer.from('streamed')]))
  t.equal(d3.digest, sha256('streamed'))
  t.same((await readdir(s.dir)).filter((n) => n.startsWith('.lading-tmp')), [], 'no temp files left')
})

t.test('existing blobs are not rewritten; the body is not even opened', async (t) => {
  const s = await store(t)
  const d = await s.put(Buffer.from('x'))
  let opened = 0
  const again = await s.put(() => { opened++; return Readable.from([Buffer.from('x')]) }, { digest: d.digest, size: 1 })
  t.equal(opened, 0)
  t.equal(again.digest, d.digest)
  // Existing content does not vouch for wrong in-memory bytes.
  await t.rejects(s.put(Buffer.from('y'), { digest: d.digest }), { code: 'ERR_DIGEST_MISMATCH' })
  await t.rejects(s.put(Buffer.from('x'), { digest: d.digest, size: 2 }), { code: 'ERR_SIZE_MISMATCH' })
  // Parallel puts of one digest share one write.
  const body = Buffer.from('parallel')
  const all = await Promise.all([1, 2, 3].map(() => s.put(() => { opened++; return Readable.from([body]) }, { digest: sha256(body) })))
  t.equal(opened, 1)
  t.same(new Set(all.map((x) => x.digest)), new Set([sha256(body)]))
})

t.test('mismatches are refused and leave nothing behind', async (t) => {
  const s = await store(t)
  await t.rejects(s.put(Buffer.from('abc'), { digest: sha256('abd') }), { code: 'ERR_DIGEST_MISMATCH' })
  await t.rejects(s.put(() => Readable.from([Buffer.from('abc')]), { digest: sha256('abc'), size: 4 }), { code: 'ERR_SIZE_MISMATCH' })
  await t.rejects(s.put(() => Readable.from([Buffer.from('abc')]), { digest: sha256('abd') }), { code: 'ERR_DIGEST_MISMATCH' })
  const failing = new Readable({ read() { this.destroy(new Error('source broke')) } })
  await t.rejects(s.put(() => failing, { digest: sha256('q') }), /source broke/)
  t.equal(await s.stat(sha256('abc')), undefined)
  t.same((await readdir(s.dir)).filter((n) => n.startsWith('.lading-tmp')), [], 'temp files removed')
})

t.test('open detects corruption, missing blobs and bad digests', async (t) => {
  const s = await store(t)
  const d = await s.put(Buffer.from('original'))
  await writeFile(s.path(d.digest), 'tampered')
  await t.rejects(hashStream(await s.open(d)), { code: 'ERR_DIGEST_MISMATCH' })
  await writeFile(s.path(d.digest), 'short')
  await s.put(() => Readable.from([Buffer.from('original')]), { digest: d.digest, size: 8 })
  t.same(await hashStream(await s.open(d)), { digest: d.digest, size: 8 }, 'a damaged blob is replaced by a verified put')
  await t.rejects(s.open({ digest: d.digest, size: 99 }), { code: 'ERR_SIZE_MISMATCH' })
  await t.rejects(s.open({ digest: sha256('none'), size: 1 }), { code: 'ERR_NOT_FOUND', what: 'blob' })
  t.throws(() => s.path('sha256:../../etc/passwd'), { code: 'ERR_DIGEST_INVALID' })
  const ac = new AbortController()
  ac.abort()
  await t.rejects(s.put(() => Readable.from([Buffer.from('zzz')]), {}, { signal: ac.signal }), { name: 'AbortError' })
})
