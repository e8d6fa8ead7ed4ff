/** gzip on every core, as pigz does: the input is cut into fixed blocks, each deflated on libuv's
 * thread pool with the previous block's last 32 KiB as its dictionary and ended by a sync flush,
 * and the raw deflate pieces are written in order between one gzip header and trailer. The result
 * is one ordinary gzip member any gunzip reads. Because the block size is fixed, the bytes depend
 * only on the input and the level, never on thread timing or core count: same layer, same digest.
 * Blocks that would not compress are stored (incompressible.ts).
 *
 * BlockGzip is the engine: the producer writes (or reads files straight) into the current block
 * buffer, so the bytes are copied once; block buffers are recycled, so memory stays at a few
 * blocks per deflate in flight. createParallelGzip wraps it as a Transform.
 */
import { Transform, type TransformCallback } from 'node:stream'
import * as zlib from 'node:zlib'
import { GZIP_BLOCK_SIZE, WINDOW, isIncompressible, storedBlocks } from './incompressible.js'

export { GZIP_BLOCK_SIZE }

// Output buffer per call: a whole block's output fits, so each block costs one callback, not eight.
// Part of the format: zlib's output depends on the output space it is given, so another size
// gives other bytes (and other digests) for the same layer.
const CHUNK = GZIP_BLOCK_SIZE + 16 * 1024
// Same header bytes as node's createGzip: no name, mtime 0, no extra flags, OS = Unix.
const HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03])
/** Blocks sealed but not yet written, by default: twice libuv's default pool of 4 threads, so a
 *  thread that finishes a block finds the next one already queued, even while the main thread is
 *  busy reading and hashing. */
export const DEFAULT_PARALLEL = 8
// Input bytes between two turns of the event loop when nothing else makes the writer wait.
const YIELD_EVERY = 1024 * 1024

type ZlibInternals = zlib.DeflateRaw & { _processChunk?: (chunk: Uint8Array, flush: number, cb: () => void) => void }

/**
 * Raw deflate of one block on libuv's pool, ended by a sync flush (or Z_FINISH for the last).
 * zlib.deflateRaw() would do, but it drives a whole stream per call: a write, an end, and a
 * second (empty) flush job on the pool. One `_processChunk` call (what the sync API uses, kept by
 * Node for compatibility) is a single job and about a third less main-thread time per block;
 * the bytes are the same, and without it we fall back to zlib.deflateRaw.
 */
function deflateBlock(block: Uint8Array, dictionary: Uint8Array | undefined, level: number, last: boolean,
  cb: (err: Error | null, parts?: Uint8Array[]) => void): void {
  const flush = last ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH
  const opts = { level, chunkSize: CHUNK, ...(dictionary ? { dictionary } : {}) }
  const d = new zlib.DeflateRaw(opts) as ZlibInternals
  if (typeof d._processChunk !== 'function') {
    d.close()
    zlib.deflateRaw(block, { ...opts, finishFlush: flush }, (err, out) => (err ? cb(err) : cb(null, [out])))
    return
  }
  const parts: Uint8Array[] = []
  let done = false
  const finish = (err: Error | null): void => {
    if (done) return
    done = true
    d.close()
    if (err) cb(err)
    else cb(null, parts)
  }
  d.on('data', (c: Buffer) => parts.push(c))
  // On a zlib error the stream is destroyed and the chunk's callback never comes.
  d.on('error', finish)
  d._processChunk(block, flush, () => finish(null))
}

/** Options of BlockGzip. */
export interface BlockGzipOptions {
  level: number
  /** Blocks sealed and not yet written before writers have to wait (default DEFAULT_PARALLEL). */
  parallel?: number
  /** Sees every input byte once, in order, a block at a time (e.g. to hash it); valid during the call only. */
  onInput?: (block: Uint8Array) => void
  /** Receives the gzip bytes in order; the parts may be views of input blocks, valid during the call only. */
  onOutput: (parts: Uint8Array[]) => void
}

interface Job { buf: Buffer; parts?: Uint8Array[]; err?: Error }

/**
 * Parallel deflate fed through `space()`/`commit()` (read straight into the block) or `write()`
 * (copied in). Either returns a promise when enough blocks are in flight: wait for it before
 * writing more. `end()` writes the last block and the trailer. After a failure (a deflate error,
 * or `onOutput` throwing) every call rejects with that error; `abort()` drops what is in flight.
 */
export class BlockGzip {
  readonly #level: number
  readonly #parallel: number
  readonly #onInput: ((block: Uint8Array) => void) | undefined
  readonly #onOutput: (parts: Uint8Array[]) => void
  #cur: Buffer = Buffer.allocUnsafe(GZIP_BLOCK_SIZE)
  #fill = 0
  // The last sealed block: the next block's dictionary comes from its end.
  #prev: Buffer | undefined
  #prevLen = 0
  readonly #jobs: Job[] = []
  // Written blocks whose buffers are free again once they are no longer #prev.
  #written: Buffer[] = []
  readonly #free: Buffer[] = []
  #crc = 0
  #size = 0
  // #size when the writer was last made to let the event loop run.
  #yieldedAt = 0
  #headerSent = false
  #failed: Error | undefined
  #waiter: { resolve: () => void; reject: (err: Error) => void; when: () => boolean } | undefined

  constructor(o: BlockGzipOptions) {
    this.#level = o.level
    this.#parallel = Math.max(1, o.parallel ?? DEFAULT_PARALLEL)
    this.#onInput = o.onInput
    this.#onOutput = o.onOutput
  }

  /** A free region of the current block, 1..`max` bytes long, to fill and then `commit()`. */
  space(max: number): Buffer {
    if (this.#failed) throw this.#failed
    // A full block is sealed only once more bytes come: which block is the last (deflated with
    // Z_FINISH) is known only at the end.
    if (this.#fill === GZIP_BLOCK_SIZE) this.#seal(false)
    return this.#cur.subarray(this.#fill, this.#fill + Math.min(max, GZIP_BLOCK_SIZE - this.#fill))
  }

  /** Counts `n` bytes written into the region `space()` gave. */
  commit(n: number): Promise<void> | undefined {
    this.#fill += n
    return this.#backpressure()
  }

  /** Copies `bytes` in. */
  write(bytes: Uint8Array): Promise<void> | undefined {
    for (let off = 0; off < bytes.length;) {
      const region = this.space(bytes.length - off)
      region.set(bytes.subarray(off, off + region.length))
      off += region.length
      this.#fill += region.length
    }
    return this.#backpressure()
  }

  /** Seals the last block, waits for every block to be written, then writes the trailer. */
  async end(): Promise<void> {
    if (this.#failed) throw this.#failed
    this.#seal(true)
    await this.#wait(() => this.#jobs.length === 0)
    const trailer = Buffer.alloc(8)
    trailer.writeUInt32LE(this.#crc >>> 0, 0)
    trailer.writeUInt32LE(this.#size % 0x1_0000_0000, 4)
    this.#emit([trailer])
    if (this.#failed) throw this.#failed
  }

  /** Stops: blocks still deflating are dropped when they finish, and every later call fails with `err`. */
  abort(err: Error): void {
    this.#fail(err)
  }

  #seal(last: boolean): void {
    const block = this.#cur.subarray(0, this.#fill)
    this.#onInput?.(block)
    this.#crc = zlib.crc32(block, this.#crc)
    this.#size += block.length
    const dictionary = this.#prev?.subarray(Math.max(0, this.#prevLen - WINDOW), this.#prevLen)
    const job: Job = { buf: this.#cur }
    this.#jobs.push(job)
    if (this.#level > 0 && isIncompressible(block, dictionary)) {
      job.parts = storedBlocks(block, last)
    } else {
      // zlib copies the dictionary when the call is made; `block` must stay untouched until done.
      deflateBlock(block, dictionary, this.#level, last, (err, parts) => {
        if (err) job.err = err
        else job.parts = parts
        this.#pump()
      })
    }
    this.#prev = this.#cur
    this.#prevLen = this.#fill
    this.#cur = this.#free.pop() ?? Buffer.allocUnsafe(GZIP_BLOCK_SIZE)
    this.#fill = 0
    if (job.parts) this.#pump()
  }

  // Writes every finished block at the head of the queue, in order, and wakes a waiting writer.
  #pump(): void {
    while (!this.#failed && this.#jobs.length > 0) {
      const head = this.#jobs[0]!
      if (head.err) this.#fail(head.err)
      if (!head.parts) break
      this.#jobs.shift()
      this.#emit(head.parts)
      this.#written.push(head.buf)
    }
    if (this.#failed) return
    const keep = this.#written.filter((b) => b === this.#prev)
    for (const b of this.#written) if (b !== this.#prev) this.#free.push(b)
    this.#written = keep
    if (this.#waiter?.when()) {
      const w = this.#waiter
      this.#waiter = undefined
      w.resolve()
    }
  }

  #emit(parts: Uint8Array[]): void {
    try {
      if (!this.#headerSent) {
        this.#headerSent = true
        this.#onOutput([HEADER])
      }
      this.#onOutput(parts)
    } catch (err) {
      this.#fail(err instanceof Error ? err : new Error(String(err)))
    }
  }

  #backpressure(): Promise<void> | undefined {
    if (this.#failed) return Promise.reject(this.#failed)
    if (this.#jobs.length >= this.#parallel) return this.#wait(() => this.#jobs.length < this.#parallel)
    // Stored blocks are done at once, so incompressible input never fills the queue: let the
    // event loop run (timers, sockets, signals) every so many blocks all the same.
    if (this.#size - this.#yieldedAt >= YIELD_EVERY) {
      this.#yieldedAt = this.#size
      return new Promise((resolve) => setImmediate(resolve))
    }
    return undefined
  }

  #wait(when: () => boolean): Promise<void> {
    if (this.#failed) return Promise.reject(this.#failed)
    if (when()) return Promise.resolve()
    return new Promise((resolve, reject) => { this.#waiter = { resolve, reject, when } })
  }

  #fail(err: Error): void {
    if (this.#failed) return
    this.#failed = err
    const w = this.#waiter
    this.#waiter = undefined
    w?.reject(err)
  }
}

/** Options of createParallelGzip. */
export interface ParallelGzipOptions {
  level: number
  /** Blocks in flight (default DEFAULT_PARALLEL); the output does not depend on it. */
  parallel?: number
}

/** A Transform producing gzip of what is written to it, deflating blocks in parallel. */
export function createParallelGzip(o: ParallelGzipOptions): Transform {
  // Parts may be views of recycled input blocks: copy them, the readable side keeps them a while.
  const gz: BlockGzip = new BlockGzip({
    level: o.level, ...(o.parallel ? { parallel: o.parallel } : {}),
    onOutput: (parts) => { for (const p of parts) t.push(Buffer.from(p)) },
  })
  const t: Transform = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      try {
        const wait = gz.write(chunk)
        if (wait) wait.then(() => cb(), cb)
        else cb()
      } catch (err) {
        cb(err as Error)
      }
    },
    flush(cb: TransformCallback) {
      gz.end().then(() => cb(), cb)
    },
    destroy(err: Error | null, cb: (err: Error | null) => void) {
      gz.abort(err ?? new Error('gzip stream destroyed'))
      cb(err)
    },
  })
  return t
}
