/**
 * gzip on every core, as pigz does: the input is cut into fixed blocks, each deflated on libuv's
 * thread pool with the previous block's last 32 KiB as its dictionary and ended by a sync flush,
 * and the raw deflate pieces are written in order between one gzip header and trailer. The result
 * is one ordinary gzip member any gunzip reads. Because the block size is fixed, the bytes depend
 * only on the input and the level, never on thread timing: same layer, same digest.
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
    const done = deflateBlock(block, dictionary, o.level, last)
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
