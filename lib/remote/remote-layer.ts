// A layer that lives in a store: its bytes are read from there only when someone asks.
import { createGunzip } from 'node:zlib'
import type { Readable } from 'node:stream'
import type { Digest } from '../digest/index.js'
import { LadingError } from '../errors.js'
import type { Layer } from '../image/index.js'
import { isGzipLayerType, isUncompressedLayerType, type Descriptor, type Repository } from '../oci/index.js'
import { definedOnly } from '../defined.js'

/**
 * A layer that lives in a repository (registry or layout). Nothing is read until a stream is
 * opened; every open re-reads the blob, verified against its digest by the store. `sources()`
 * names the repository so a push into the same registry can mount instead of uploading.
 * `fallback` is the signal of reads whose caller passes none.
 */
export function remoteLayer(repo: Repository, desc: Descriptor, diffId: Digest, fallback?: AbortSignal): Layer {
  return {
    mediaType: desc.mediaType,
    digest: async () => desc.digest,
    diffId: async () => diffId,
    size: async () => desc.size,
    compressed: (signal) => repo.blobs.open(desc, signal ?? fallback),
    async uncompressed(signal) {
      const body = await repo.blobs.open(desc, signal ?? fallback)
      if (isUncompressedLayerType(desc.mediaType)) return body
      if (!isGzipLayerType(desc.mediaType)) {
        body.destroy()
        throw new LadingError('ERR_MEDIA_TYPE_UNSUPPORTED', `cannot decompress layer ${desc.digest} of type ${desc.mediaType}`)
      }
      return pipeGunzip(body)
    },
    descriptorExtras: () => definedOnly({ annotations: desc.annotations, urls: desc.urls }),
    sources: () => [repo.name],
  }
}

function pipeGunzip(body: Readable): Readable {
  const gunzip = createGunzip()
  body.on('error', (err) => gunzip.destroy(err))
  return body.pipe(gunzip)
}
