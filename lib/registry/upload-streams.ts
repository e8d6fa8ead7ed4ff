/** Stream pieces of a blob upload: re-slicing a stream into Content-Range chunks, and counting
 * bytes for progress events as they pass.
 */
import { Transform, type Readable } from 'node:stream'
import type { Digest } from '../digest/index.js'
import type { PutBlobOptions } from '../oci/index.js'
import { definedOnly } from '../defined.js'

/** Re-slices a stream into buffers of exactly `size` bytes (the last may be shorter). */
export async function* chunksOf(stream: Readable, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = []
  let n = 0
  for await (const c of stream) {
    let b = c as Buffer
    while (b.length > 0) {
      const take = Math.min(size - n, b.length)
      parts.push(b.subarray(0, take))
      n += take
      b = b.subarray(take)
      if (n === size) {
        yield Buffer.concat(parts)
        parts = []
        n = 0
      }
    }
  }
  if (n > 0) yield Buffer.concat(parts)
}

/** A pass-through that reports every chunk's running byte count to `opts.onProgress`. */
export function progressCounter(digest: Digest | undefined, total: number | undefined, opts: Pick<PutBlobOptions, 'onProgress'>): Transform {
  let bytes = 0
  return new Transform({
    transform(chunk: Buffer, _e, cb) {
      bytes += chunk.length
      opts.onProgress?.(definedOnly({ digest: digest ?? ('' as Digest), kind: 'upload' as const, bytes, total }))
      cb(null, chunk)
    },
  })
}
