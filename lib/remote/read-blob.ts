// Reads a whole (small) blob from a store into memory: configs and manifests.
import type { Readable } from 'node:stream'
import { LadingError } from '../errors.js'
import type { BlobStore, Descriptor } from '../oci/index.js'

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

/** Reads a small blob (a config) fully; the store verifies digest and size. */
export async function readBlob(store: BlobStore, desc: Descriptor, signal?: AbortSignal): Promise<Buffer> {
  if (desc.size > MAX_JSON_BLOB) {
    throw new LadingError('ERR_SIZE_LIMIT', `blob ${desc.digest} has ${desc.size} bytes, over the ${MAX_JSON_BLOB} limit for JSON blobs`)
  }
  return readAll(await store.open(desc, signal))
}
