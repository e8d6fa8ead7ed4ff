// Stores a compressed layer blob in the content-addressed store by temp file + rename, hashing as it writes.
import { closeSync, openSync, writevSync, writeSync } from 'node:fs'
import { mkdir, rename, rm } from 'node:fs/promises'
import { createHash, randomBytes } from 'node:crypto'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import type { Digest } from '../digest/index.js'
import { digestHex } from '../digest/index.js'
import { LadingError, wrapError } from '../errors.js'
import { pathExists } from '../fs-checks.js'
import { DEFAULT_GZIP_LEVEL, checkGzipLevel } from './gzip.js'
import { BlockGzip } from './parallel-gzip.js'
import type { TarSink } from './tar-writer.js'

/** What storeLayerBlob wrote. */
export interface StoredBlob {
  /** `<storeDir>/sha256/<hex of digest>`. */
  path: string
  /** sha256 of the uncompressed tar. */
  diffId: Digest
  /** sha256 of the gzip bytes stored at `path`. */
  digest: Digest
  /** Byte length of the gzip bytes. */
  size: number
}

/** Where a blob with `digest` lives in a content-addressed store directory. */
export function blobPath(storeDir: string, digest: Digest): string {
  return join(storeDir, 'sha256', digestHex(digest))
}

/**
 * The store end of a layer as a TarSink: tar bytes go in, their sha256 (diffID) is taken a block
 * at a time, the blocks are gzipped in parallel (BlockGzip), and the gzip bytes are hashed
 * (digest) and written to a temp file in `<storeDir>/sha256/`, renamed to its digest by
 * `finish()`. One pass, no stream plumbing in between. The file is written with synchronous
 * calls on purpose: libuv's thread pool is kept busy deflating, and a write queued behind the
 * deflates would stall the whole pipeline (a page-cache write takes microseconds). Errors carry
 * the context `store layer in <storeDir>`; `abort()` removes the temp file.
 */
export class LayerBlobWriter implements TarSink {
  readonly #context: string
  readonly #storeDir: string
  readonly #tmp: string
  #fd: number | undefined
  readonly #diff = createHash('sha256')
  readonly #comp = createHash('sha256')
  #size = 0
  readonly #gzip: BlockGzip

  private constructor(storeDir: string, tmp: string, fd: number, level: number) {
    this.#context = `store layer in ${storeDir}`
    this.#storeDir = storeDir
    this.#tmp = tmp
    this.#fd = fd
    this.#gzip = new BlockGzip({
      level,
      onInput: (block) => this.#diff.update(block),
      onOutput: (parts) => this.#output(parts),
    })
  }

  /** Creates the temp file; throws ERR_LAYER_INVALID_GZIP_LEVEL for a level outside 0..9. */
  static async create(storeDir: string, gzipLevel: number = DEFAULT_GZIP_LEVEL): Promise<LayerBlobWriter> {
    checkGzipLevel(gzipLevel)
    const dir = join(storeDir, 'sha256')
    const tmp = join(dir, `.tmp-${process.pid}-${randomBytes(8).toString('hex')}`)
    try {
      await mkdir(dir, { recursive: true })
      return new LayerBlobWriter(storeDir, tmp, openSync(tmp, 'wx', 0o644), gzipLevel)
    } catch (err) {
      throw storeError(`store layer in ${storeDir}`, err)
    }
  }

  space(max: number): Buffer {
    try {
      return this.#gzip.space(max)
    } catch (err) {
      throw storeError(this.#context, err)
    }
  }

  commit(n: number): Promise<void> | undefined {
    return this.#withContext(this.#gzip.commit(n))
  }

  write(bytes: Uint8Array): Promise<void> | undefined {
    try {
      return this.#withContext(this.#gzip.write(bytes))
    } catch (err) {
      throw storeError(this.#context, err)
    }
  }

  /** Ends the gzip stream and moves the blob to its digest's name (keeping a twin already there). */
  async finish(): Promise<StoredBlob> {
    try {
      await this.#gzip.end()
      this.#close()
      const digest = `sha256:${this.#comp.digest('hex')}` as Digest
      const diffId = `sha256:${this.#diff.digest('hex')}` as Digest
      const path = blobPath(this.#storeDir, digest)
      if (await pathExists(path)) await rm(this.#tmp, { force: true })
      else await rename(this.#tmp, path)
      return { path, diffId, digest, size: this.#size }
    } catch (err) {
      await this.abort(err)
      throw storeError(this.#context, err)
    }
  }

  /** TarSink.fail: the tar will not be completed; every later write throws `err` (abort() removes the file). */
  fail(err: Error): void {
    this.#gzip.abort(err)
  }

  /** Stops and removes the temp file (best effort: the error that led here is the one worth reporting). */
  async abort(err?: unknown): Promise<void> {
    this.#gzip.abort(err instanceof Error ? err : new LadingError('ERR_LAYER_ABORTED', 'layer store aborted'))
    try {
      this.#close()
    } catch {
      // closing a file we are about to delete cannot fail in a way that matters
    }
    await rm(this.#tmp, { force: true }).catch(() => undefined)
  }

  #output(parts: Uint8Array[]): void {
    let total = 0
    for (const p of parts) {
      this.#comp.update(p)
      total += p.length
    }
    this.#size += total
    if (this.#fd === undefined) throw new LadingError('ERR_LAYER_ABORTED', 'layer store closed')
    let written = writevSync(this.#fd, parts)
    // A short write (rare: a signal, or a full disk about to report ENOSPC) continues byte by byte.
    for (let i = 0, skip = written; written < total; i++) {
      const p = parts[i]!
      if (skip >= p.length) {
        skip -= p.length
        continue
      }
      for (let off = skip; off < p.length;) off += writeSync(this.#fd, p, off)
      written += p.length - skip
      skip = 0
    }
  }

  #close(): void {
    const fd = this.#fd
    this.#fd = undefined
    if (fd !== undefined) closeSync(fd)
  }

  // Backpressure promises reject with BlockGzip's own error: give it this store's context.
  #withContext(p: Promise<void> | undefined): Promise<void> | undefined {
    return p?.catch((err: unknown) => { throw storeError(this.#context, err) })
  }
}

/**
 * Consumes an uncompressed `tar` stream once and stores its gzip in `storeDir`, returning the
 * diffID, digest and size measured on the way (see LayerBlobWriter). When a blob with that digest
 * is already there the temp file is dropped (same digest, same bytes). On failure no file is left
 * behind; errors are wrapped with context, keeping their code.
 */
export async function storeLayerBlob(tar: Readable, storeDir: string, gzipLevel?: number): Promise<StoredBlob> {
  let w: LayerBlobWriter
  try {
    w = await LayerBlobWriter.create(storeDir, gzipLevel)
  } catch (err) {
    tar.destroy()
    throw err
  }
  try {
    for await (const chunk of tar) {
      const wait = w.write(chunk as Buffer)
      if (wait) await wait
    }
  } catch (err) {
    tar.destroy()
    await w.abort(err)
    throw storeError(`store layer in ${storeDir}`, err)
  }
  return w.finish()
}

// Errors that already carry a store's context, so that passing through several layers of this
// file does not repeat it.
const withStoreContext = new WeakSet<object>()

function storeError(context: string, err: unknown): unknown {
  if (typeof err === 'object' && err !== null && withStoreContext.has(err)) return err
  const wrapped = wrapError(context, err)
  withStoreContext.add(wrapped)
  return wrapped
}
