// Verifying received content against its expected digest and size, as a stream or on bytes in memory.
import { createHash, type Hash } from 'node:crypto'
import { Transform, type TransformCallback } from 'node:stream'
import { DigestMismatchError, SizeMismatchError, digestAlgorithm, type Digest } from './digest.js'
import { LadingError } from '../errors.js'

/** What a verifying stream checks against. */
export interface VerifyExpectation { digest: Digest; size?: number; maxSize?: number }

/**
 * A pass-through stream that fails when what flowed through it does not hash to `digest`
 * (or differs from `size`). Passing more bytes than `size`/`maxSize` fails at once, so a
 * lying server cannot make us buffer or write without bound. The error surfaces at the end
 * of the stream: consumers must treat output as untrusted until the stream finishes cleanly.
 */
export function verifyStream(expect: VerifyExpectation): Transform {
  const alg = digestAlgorithm(expect.digest)
  if (alg !== 'sha256' && alg !== 'sha512') {
    throw new LadingError('ERR_DIGEST_UNSUPPORTED', `cannot verify digest algorithm ${alg}`)
  }
  const hash: Hash = createHash(alg)
  let n = 0
  const cap = expect.size ?? expect.maxSize
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      n += chunk.length
      if (cap !== undefined && n > cap) {
        cb(expect.size !== undefined ? new SizeMismatchError(expect.size, n, expect.digest)
          : new LadingError('ERR_SIZE_LIMIT', `content ${expect.digest} exceeds ${cap} bytes`))
        return
      }
      hash.update(chunk)
      cb(null, chunk)
    },
    flush(cb: TransformCallback) {
      if (expect.size !== undefined && n !== expect.size) {
        cb(new SizeMismatchError(expect.size, n, expect.digest))
        return
      }
      const actual = `${alg}:${hash.digest('hex')}` as Digest
      if (actual !== expect.digest) {
        cb(new DigestMismatchError(expect.digest, actual, n))
        return
      }
      cb()
    },
  })
}

/** Checks in-memory bytes against a digest (and size); throws the same errors as verifyStream. */
export function verifyBytes(bytes: Uint8Array, expect: { digest: Digest; size?: number }): void {
  if (expect.size !== undefined && bytes.length !== expect.size) {
    throw new SizeMismatchError(expect.size, bytes.length, expect.digest)
  }
  const alg = digestAlgorithm(expect.digest)
  const actual = `${alg}:${createHash(alg).update(bytes).digest('hex')}` as Digest
  if (actual !== expect.digest) throw new DigestMismatchError(expect.digest, actual, bytes.length)
}
