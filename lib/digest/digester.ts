// A pass-through stream that computes the sha256 digest and size of what flows through it.
import { createHash, type Hash } from 'node:crypto'
import { Transform, type TransformCallback } from 'node:stream'
import type { Digest } from './digest.js'

/** Result of a digester once its stream has ended. */
export interface DigestResult { digest: Digest; size: number }

/**
 * A pass-through stream that hashes (sha256) and counts what flows through it, so a digest
 * and size come out of the same pass that moves the bytes. `result` resolves on flush.
 */
export class Digester extends Transform {
  readonly result: Promise<DigestResult>
  #hash: Hash = createHash('sha256')
  #size = 0
  #resolve!: (r: DigestResult) => void

  constructor() {
    super()
    this.result = new Promise((resolve, reject) => {
      this.#resolve = resolve
      this.once('error', reject)
      // Destroyed without an error before its end: nothing would ever settle the result otherwise.
      this.once('close', () => reject(new Error('stream closed before its end: no digest')))
    })
    // A result nobody awaits must not become an unhandled rejection.
    this.result.catch(() => {})
  }

  /** Bytes seen so far. */
  get bytes(): number {
    return this.#size
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#hash.update(chunk)
    this.#size += chunk.length
    cb(null, chunk)
  }

  override _flush(cb: TransformCallback): void {
    this.#resolve({ digest: `sha256:${this.#hash.digest('hex')}` as Digest, size: this.#size })
    cb()
  }
}
