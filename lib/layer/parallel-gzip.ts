/** gzip on every core, as pigz does: the input is cut into fixed blocks, each deflated on libuv's
 * thread pool with the previous block's last 32 KiB as its dictionary and ended by a sync flush,
 * and the raw deflate pieces are written in order between one gzip header and trailer. The result
 * is one ordinary gzip member any gunzip reads. Because the block size is fixed, the bytes depend
 * only on the input and the level, never on thread timing: same layer, same digest.
 * A block that would not compress (already-compressed or random bytes: nearly flat byte histogram
 * and no long repeats, judged from its bytes alone) is written as stored deflate blocks instead:
 * deflate would spend ~9 ms of CPU per 128 KiB on it to save under 1%.
 */
import { Transform, type TransformCallback } from 'node:stream'
import * as zlib from 'node:zlib'

/** Uncompressed bytes per block (pigz's default): big enough that the flush markers cost ~nothing. */
export const GZIP_BLOCK_SIZE = 128 * 1024

const WINDOW = 32 * 1024
// Output buffer per call: a whole block's output fits, so each block costs one callback, not eight.
const CHUNK = GZIP_BLOCK_SIZE + 16 * 1024
// Same header bytes as node's createGzip: no name, mtime 0, no extra flags, OS = Unix.
const HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03])

// A block is stored when its order-0 entropy (estimated from every 4th byte) is above this, in
// bits per byte (Huffman coding could save at most ~0.6%), and none of a few 16-byte samples of
// it occurs earlier in it or in its dictionary (the long repeats LZ77 matching would find).
const STORE_ENTROPY = 7.95
const MIN_STORE_BLOCK = 4096
const SAMPLE_EVERY = 4
const NEEDLE = 16
const NEEDLE_EVERY = 4096
const LOG2 = new Float64Array(GZIP_BLOCK_SIZE / SAMPLE_EVERY + 1).map((_, i) => (i ? i * Math.log2(i) : 0))

/** Whether deflate could not shrink `block` by more than ~1%, judged from its bytes only. */
export function isIncompressible(block: Buffer, dictionary: Buffer | undefined): boolean {
  const n = block.length
  if (n < MIN_STORE_BLOCK || n > GZIP_BLOCK_SIZE) return false
  const hist = new Int32Array(256)
  let samples = 0
  // Text and code give themselves away in the first 8 KiB: stop there (a 2,048-sample estimate of
  // random bytes is ~7.9 bits, far above this first bar).
  for (let i = 0; i < n; i += SAMPLE_EVERY, samples++) {
    hist[block[i]!]!++
    if (samples === 2048 && entropy(hist, samples) < 7) return false
  }
  if (entropy(hist, samples) < STORE_ENTROPY) return false
  return !hasRepeats(dictionary ? Buffer.concat([dictionary, block]) : block, dictionary?.length ?? 0)
}

// Order-0 entropy in bits per byte of k samples: log2(k) - sum(c log2 c) / k.
function entropy(hist: Int32Array, k: number): number {
  let sum = 0
  for (let i = 0; i < 256; i++) sum += LOG2[hist[i]!]!
  return Math.log2(k) - sum / k
}

// True when a 16-byte sample taken every 4 KiB of buf[from..] occurs earlier in buf: native
// searches, so a random block costs ~30 scans instead of a byte-by-byte match finder.
function hasRepeats(buf: Buffer, from: number): boolean {
  for (let at = from + NEEDLE_EVERY - NEEDLE; at + NEEDLE <= buf.length; at += NEEDLE_EVERY) {
    const hit = buf.indexOf(buf.subarray(at, at + NEEDLE))
    if (hit >= 0 && hit < at) return true
  }
  return false
}

/** Stored deflate blocks (RFC 1951 §3.2.4) of `block`; the stream before is byte-aligned (sync flush). */
function storeBlock(block: Buffer, last: boolean): Buffer {
  const pieces = Math.max(1, Math.ceil(block.length / 0xffff))
  const out = Buffer.allocUnsafe(block.length + 5 * pieces)
  let o = 0
  for (let i = 0; i < pieces; i++) {
    const part = block.subarray(i * 0xffff, (i + 1) * 0xffff)
    out[o] = last && i === pieces - 1 ? 1 : 0
    out.writeUInt16LE(part.length, o + 1)
    out.writeUInt16LE(~part.length & 0xffff, o + 3)
    part.copy(out, o + 5)
    o += 5 + part.length
  }
  return out
}

function deflateBlock(block: Buffer, dictionary: Buffer | undefined, level: number, last: boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    zlib.deflateRaw(block, {
      level, ...(dictionary ? { dictionary } : {}), chunkSize: CHUNK,
      finishFlush: last ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH,
    }, (err, out) => (err ? reject(err) : resolve(out)))
  })
}

/** Options of createParallelGzip. */
export interface ParallelGzipOptions {
  level: number
  /** Blocks deflating at once (default 4, libuv's thread pool size: even on 2 cores, 4 in flight hide each block's set-up). */
  parallel?: number
}

/** A Transform producing gzip of what is written to it, deflating blocks in parallel. */
export function createParallelGzip(o: ParallelGzipOptions): Transform {
  const parallel = Math.max(1, o.parallel ?? 4)
  let pending: Buffer[] = []
  let pendingBytes = 0
  let previous: Buffer | undefined
  let crc = 0
  let size = 0
  // Deflations in input order; the head is written as soon as it is done.
  const inflight: Promise<Buffer>[] = []
  let headerSent = false

  const start = (block: Buffer, last: boolean): void => {
    crc = zlib.crc32(block, crc)
    size += block.length
    const dictionary = previous && previous.length > WINDOW ? previous.subarray(previous.length - WINDOW) : previous
    const done = o.level > 0 && isIncompressible(block, dictionary)
      ? Promise.resolve(storeBlock(block, last))
      : deflateBlock(block, dictionary, o.level, last)
    done.catch(() => {}) // awaited in order below; an early failure must not go unhandled meanwhile
    inflight.push(done)
    previous = block
  }
  const takeBlock = (): Buffer => {
    const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending)
    const block = all.subarray(0, GZIP_BLOCK_SIZE)
    const rest = all.subarray(GZIP_BLOCK_SIZE)
    pending = rest.length > 0 ? [rest] : []
    pendingBytes = rest.length
    return block
  }

  return new Transform({
    async transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      try {
        if (!headerSent) {
          headerSent = true
          this.push(HEADER)
        }
        pending.push(chunk)
        pendingBytes += chunk.length
        // Keep one full block back: only the last block is deflated with Z_FINISH, and which
        // block is last is known only at the end.
        while (pendingBytes > GZIP_BLOCK_SIZE) {
          start(takeBlock(), false)
          while (inflight.length >= parallel) this.push(await inflight.shift()!)
        }
        cb()
      } catch (err) {
        cb(err as Error)
      }
    },
    async flush(cb: TransformCallback) {
      try {
        if (!headerSent) this.push(HEADER)
        start(pendingBytes > 0 ? takeBlock() : Buffer.alloc(0), true)
        while (inflight.length > 0) this.push(await inflight.shift()!)
        const trailer = Buffer.alloc(8)
        trailer.writeUInt32LE(crc >>> 0, 0)
        trailer.writeUInt32LE(size % 0x1_0000_0000, 4)
        cb(null, trailer)
      } catch (err) {
        cb(err as Error)
      }
    },
  })
}
