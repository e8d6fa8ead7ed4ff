// Reads a whole (small) blob from a store into memory: configs and manifests.
import { LadingError } from '../errors.js'
import { MAX_JSON_BLOB, readAll, type BlobStore, type Descriptor } from '../oci/index.js'

/** Reads a small blob (a config) fully; the store verifies digest and size. */
export async function readBlob(store: BlobStore, desc: Descriptor, signal?: AbortSignal): Promise<Buffer> {
  if (desc.size > MAX_JSON_BLOB) {
    throw new LadingError('ERR_SIZE_LIMIT', `blob ${desc.digest} has ${desc.size} bytes, over the ${MAX_JSON_BLOB} limit for JSON blobs`)
  }
  return readAll(await store.open(desc, signal))
}
