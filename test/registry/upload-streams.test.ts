import t, { type Test } from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { open, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { SizeMismatchError, sha256 } from '../../lib/digest/index.js'
import { fileFeed, streamFeed, type BlobFeed } from '../../lib/registry/upload-streams.js'

/** Reads one body the way undici does: the next chunk is asked for only once the previous one is written (copied here). */
async function drain(body: Readable): Promise<Buffer> {
  const out: Buffer[] = []
  for await (const c of body) out.push(Buffer.from(c as Buffer))
  return Buffer.concat(out)
}

async function fileOf(t: Test, bytes: Buffer): Promise<string> {
  const path = join(t.testdir(), 'blob')
  await writeFile(path, bytes)
  return path
}

t.test('fileFeed: bodies of any length from a file, hashed from byte 0, progress by position', async (t) => {
  const bytes = randomBytes(1_000_000 + 7) // several reads of the reused buffers per body
  const fh = await open(await fileOf(t, bytes), 'r')
  const seen: number[] = []
  const feed = fileFeed(fh, bytes.length, 0, (p) => seen.push(p))
  const parts = [await drain(feed.body(300_000)), await drain(feed.body(300_000)), await drain(feed.body())]
  t.same(parts.map((p) => p.length), [300_000, 300_000, 400_007])
  t.ok(Buffer.concat(parts).equals(bytes), 'the bytes, in order, although the read buffers were reused')
  t.equal(feed.position, bytes.length)
  t.equal(seen.at(-1), bytes.length)
  t.ok(seen.every((p, i) => i === 0 || p > seen[i - 1]!), 'progress only moves forward')
  t.same(await feed.finish(), { digest: sha256(bytes), size: bytes.length })
  await feed.close()
  await feed.close()
})

t.test('fileFeed from an offset: only the rest is read; the digest is left to the registry', async (t) => {
  const bytes = randomBytes(600_000)
  const feed = fileFeed(await open(await fileOf(t, bytes), 'r'), bytes.length, 250_000)
  t.equal(feed.position, 250_000)
  t.ok((await drain(feed.body())).equals(bytes.subarray(250_000)))
  t.same(await feed.finish(), { digest: undefined, size: bytes.length })
  await feed.close()
})

t.test('fileFeed: take() reads a chunk into memory; a file shorter than its size fails the body', async (t) => {
  const bytes = randomBytes(100_000)
  const path = await fileOf(t, bytes)
  const feed = fileFeed(await open(path, 'r'), bytes.length, 0)
  t.ok((await feed.take(60_000)).equals(bytes.subarray(0, 60_000)))
  t.ok((await feed.take(60_000)).equals(bytes.subarray(60_000)), 'the last one shorter')
  t.equal((await feed.finish()).digest, sha256(bytes))
  await feed.close()

  const short = fileFeed(await open(path, 'r'), bytes.length + 10, 0)
  await t.rejects(drain(short.body()), SizeMismatchError)
  await t.rejects(short.finish(), SizeMismatchError)
  await short.close()
})

t.test('streamFeed: the bytes before the offset are hashed, not sent; bodies cut chunks anywhere', async (t) => {
  const bytes = randomBytes(50_000)
  const source = Readable.from([bytes.subarray(0, 7000), bytes.subarray(7000, 31_000), bytes.subarray(31_000)])
  const positions: number[] = []
  const feed = streamFeed(source, 10_000, (p) => positions.push(p))
  const a = await drain(feed.body(15_000))
  const b = await feed.take(5_000)
  const c = await drain(feed.body())
  t.ok(Buffer.concat([a, b, c]).equals(bytes.subarray(10_000)))
  t.equal(feed.position, 50_000)
  t.equal(positions[0]! > 10_000, true, 'positions count from the blob start')
  t.same(await feed.finish(), { digest: sha256(bytes), size: 50_000 })
  await feed.close()
})

t.test('streamFeed: finish() reads past what was sent, so extra bytes are counted; close() destroys the source', async (t) => {
  const bytes = randomBytes(20_000)
  const feed = streamFeed(Readable.from([bytes]), 0)
  t.equal((await drain(feed.body(12_000))).length, 12_000)
  const got = await feed.finish()
  t.equal(got.size, 20_000)
  t.equal(got.digest, `sha256:${createHash('sha256').update(bytes).digest('hex')}`)

  const source = new Readable({ read() {} })
  source.push(Buffer.from('abc'))
  const open2: BlobFeed = streamFeed(source, 0)
  t.equal((await open2.take(3)).toString(), 'abc')
  await open2.close()
  t.ok(source.destroyed)
})

t.test('streamFeed: a failing source fails the body with its own error', async (t) => {
  const source = new Readable({
    read() {
      this.destroy(new Error('disk on fire'))
    },
  })
  const feed = streamFeed(source, 0)
  await t.rejects(drain(feed.body()), { message: 'disk on fire' })
  await feed.close()
})
