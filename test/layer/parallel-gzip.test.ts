import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { gunzipSync } from 'node:zlib'
import { BlockGzip, createParallelGzip, GZIP_BLOCK_SIZE } from '../../lib/layer/parallel-gzip.js'

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

t.test('blocks that would not compress are stored, judged from their bytes alone', async (t) => {
  const noise = randomBytes(5 * GZIP_BLOCK_SIZE + 123)
  const gz = await gzip(noise, 65536)
  t.ok(gunzipSync(gz).equals(noise), 'stored blocks round-trip')
  // header 10 + trailer 8 + 5 bytes per stored piece (3 per block) + the short last block, deflated
  t.ok(gz.length <= noise.length + 18 + 5 * 3 * 5 + 160, `no deflate overhead beyond stored headers (${gz.length - noise.length})`)
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')
  t.equal(sha(await gzip(noise, 1000, { parallel: 1 })), sha(gz), 'same bytes whatever the write sizes and parallelism')
  const mix = Buffer.concat([noise.subarray(0, 2 * GZIP_BLOCK_SIZE), text.subarray(0, 2 * GZIP_BLOCK_SIZE)])
  const gzMix = await gzip(mix, 65536)
  t.ok(gunzipSync(gzMix).equals(mix), 'stored and deflated blocks mix in one member')
  t.ok(gzMix.length < 2 * GZIP_BLOCK_SIZE + 20_000, 'the text half is still compressed')
})

/** gzip through BlockGzip directly, reading into its buffers in pieces of `piece` bytes. */
async function blockGzip(input: Buffer, piece: number, parallel: number): Promise<{ gz: Buffer; seen: Buffer }> {
  const out: Buffer[] = []
  const seen: Buffer[] = []
  const g = new BlockGzip({
    level: 6, parallel,
    onInput: (b) => seen.push(Buffer.from(b)),
    onOutput: (parts) => { for (const p of parts) out.push(Buffer.from(p)) },
  })
  for (let off = 0; off < input.length;) {
    const region = g.space(Math.min(piece, input.length - off))
    input.copy(region, 0, off, off + region.length)
    off += region.length
    await g.commit(region.length)
  }
  await g.end()
  return { gz: Buffer.concat(out), seen: Buffer.concat(seen) }
}

t.test('BlockGzip: reading straight into its blocks gives the same bytes as the stream, at any depth', async (t) => {
  const want = await gzip(mixed, 65536)
  for (const [piece, parallel] of [[4096, 1], [100_000, 3], [1 << 20, 8], [7, 2]] as const) {
    const { gz, seen } = await blockGzip(mixed, piece, parallel)
    t.ok(gz.equals(want), `pieces of ${piece}, ${parallel} in flight`)
    t.ok(seen.equals(mixed), 'onInput saw every byte once, in order')
  }
})

t.test('BlockGzip: a failing output stops the writer with that error', async (t) => {
  const g = new BlockGzip({ level: 1, parallel: 2, onOutput: () => { throw new Error('disk full') } })
  await t.rejects((async () => {
    for (let i = 0; i < 20; i++) await g.write(text.subarray(0, GZIP_BLOCK_SIZE))
    await g.end()
  })(), /disk full/)
  t.throws(() => g.space(10), /disk full/, 'and every later call')
  const a = new BlockGzip({ level: 6, onOutput: () => {} })
  await a.write(mixed)
  a.abort(new Error('stop'))
  await t.rejects(a.end(), /stop/, 'abort drops what is in flight')
})

t.test('BlockGzip: incompressible input still lets the event loop run', async (t) => {
  const g = new BlockGzip({ level: 6, onOutput: () => {} })
  let ticks = 0
  const timer = setInterval(() => ticks++, 0)
  const noise = randomBytes(128 * GZIP_BLOCK_SIZE)
  // 16 MiB of stored blocks: done as soon as sealed, so the queue never makes the writer wait.
  for (let i = 0; i < 128; i++) await g.write(noise.subarray(i * GZIP_BLOCK_SIZE, (i + 1) * GZIP_BLOCK_SIZE))
  await g.end()
  clearInterval(timer)
  t.ok(ticks > 3, `timers ran while writing (${ticks} times)`)
})
