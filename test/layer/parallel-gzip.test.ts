import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { gunzipSync } from 'node:zlib'
import { createParallelGzip, GZIP_BLOCK_SIZE } from '../../lib/layer/parallel-gzip.js'

async function gzip(input: Buffer, chunk: number, opts: { level?: number; parallel?: number } = {}): Promise<Buffer> {
  const out: Buffer[] = []
  const parts = (function* () { for (let i = 0; i < input.length; i += chunk) yield input.subarray(i, i + chunk) })()
  await pipeline(Readable.from(parts), createParallelGzip({ level: opts.level ?? 6, ...(opts.parallel ? { parallel: opts.parallel } : {}) }),
    new Writable({ write(c, _e, cb) { out.push(c); cb() } }))
  return Buffer.concat(out)
}

const text = Buffer.from('a layer of text compresses well; '.repeat(30_000))
const mixed = Buffer.concat([text.subarray(0, 3 * GZIP_BLOCK_SIZE + 17), randomBytes(GZIP_BLOCK_SIZE + 5), text.subarray(0, 1000)])

t.test('one gzip member any gunzip reads, for every size around the block boundaries', async (t) => {
  for (const n of [0, 1, 100, GZIP_BLOCK_SIZE - 1, GZIP_BLOCK_SIZE, GZIP_BLOCK_SIZE + 1, 2 * GZIP_BLOCK_SIZE, mixed.length]) {
    const input = mixed.subarray(0, n)
    const gz = await gzip(input, 65536)
    t.same(gz.subarray(0, 10), Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), `${n}: header without name or mtime`)
    t.ok(gunzipSync(gz).equals(input), `${n} bytes round-trip (CRC and size checked by gunzip)`)
  }
})

t.test('the bytes depend only on the input and the level: not on write sizes or parallelism', async (t) => {
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')
  const want = sha(await gzip(mixed, 65536))
  t.equal(sha(await gzip(mixed, 1000)), want, 'small writes')
  t.equal(sha(await gzip(mixed, 1 << 20)), want, 'one big write')
  t.equal(sha(await gzip(mixed, 65536, { parallel: 1 })), want, 'one block at a time')
  t.equal(sha(await gzip(mixed, 65536, { parallel: 8 })), want, 'eight at a time')
  t.not(sha(await gzip(mixed, 65536, { level: 1 })), want, 'the level matters')
})

t.test('blocks keep the previous block as their dictionary: ratio close to one stream', async (t) => {
  // 16 KiB of noise, repeated: without the dictionary every block would pay for it again (~64 KiB).
  const noise = randomBytes(16 * 1024)
  const input = Buffer.concat(Array.from({ length: 4 * GZIP_BLOCK_SIZE / noise.length }, () => noise))
  const gz = await gzip(input, 65536)
  t.ok(gz.length < 24 * 1024, `later blocks refer back into earlier ones (${gz.length} bytes for ${input.length})`)
  for (const level of [0, 9]) t.ok(gunzipSync(await gzip(mixed, 65536, { level })).equals(mixed), `level ${level}`)
})
