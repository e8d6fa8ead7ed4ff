// Reads a whole (small) stream into memory with a bound: configs and manifests, for remote/ and registry/ alike.
import type { Readable } from 'node:stream'
import { LadingError } from '../errors.js'

/** Largest config or other JSON blob we agree to hold in memory. */
export const MAX_JSON_BLOB = 64 << 20

/** Reads a whole stream into memory, failing past `limit` bytes instead of growing without bound. */
export async function readAll(stream: Readable, limit = MAX_JSON_BLOB): Promise<Buffer> {
  const chunks: Buffer[] = []
  let n = 0
  for await (const chunk of stream) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array)
    n += b.length
    if (n > limit) {
      stream.destroy()
      throw new LadingError('ERR_SIZE_LIMIT', `blob is larger than ${limit} bytes`)
    }
    chunks.push(b)
  }
  return Buffer.concat(chunks)
}
