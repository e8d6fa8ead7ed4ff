// A layer backed by a blob file in the content-addressed store, with its digest, diffID and size known.
import { open } from 'node:fs/promises'
import { pipeline } from 'node:stream'
import type { Readable } from 'node:stream'
import { parseDigest, verifyStream, type Digest } from '../digest/index.js'
import { LadingError, wrapError } from '../errors.js'
import { MediaTypes, type Descriptor, type MediaType } from '../oci/index.js'
import type { Layer } from '../image/index.js'
import { gunzipIfNeeded } from './gzip.js'

/**
 * A layer whose blob is a file in a content-addressed store. Re-openable: every call to
 * `compressed()`/`uncompressed()` opens the file anew. The numbers are known up front, so
 * `descriptor()` is synchronous.
 */
export interface StoredLayer extends Layer {
  /** The blob file. */
  readonly path: string
  /** mediaType, digest and size of the blob. */
  descriptor(): Descriptor
  readonly diffIdValue: Digest
  readonly digestValue: Digest
  readonly sizeValue: number
}

interface StoredLayerInit { digest: Digest; diffId: Digest; size: number; mediaType?: MediaType }

class FileLayer implements StoredLayer {
  readonly mediaType: MediaType
  readonly diffIdValue: Digest
  readonly digestValue: Digest
  readonly sizeValue: number

  constructor(readonly path: string, d: StoredLayerInit, private readonly verify: boolean) {
    this.mediaType = d.mediaType ?? MediaTypes.OCI_LAYER_GZIP
    this.digestValue = parseDigest(d.digest)
    this.diffIdValue = parseDigest(d.diffId)
    if (!Number.isSafeInteger(d.size) || d.size < 0) {
      throw new LadingError('ERR_LAYER_INVALID_SIZE', `layer size must be a non-negative integer, got ${d.size}`)
    }
    this.sizeValue = d.size
  }

  descriptor(): Descriptor {
    return { mediaType: this.mediaType, digest: this.digestValue, size: this.sizeValue }
  }

  async digest(): Promise<Digest> { return this.digestValue }
  async diffId(): Promise<Digest> { return this.diffIdValue }
  async size(): Promise<number> { return this.sizeValue }

  async compressed(signal?: AbortSignal): Promise<Readable> {
    let handle
    try {
      handle = await open(this.path, 'r')
    } catch (err) {
      throw wrapError(`open layer blob ${this.digestValue}`, err)
    }
    const src = handle.createReadStream(signal ? { signal } : {})
    if (!this.verify) return src
    const check = verifyStream({ digest: this.digestValue, size: this.sizeValue })
    pipeline(src, check, () => {})
    return check
  }

  async uncompressed(signal?: AbortSignal): Promise<Readable> {
    return gunzipIfNeeded(await this.compressed(signal), this.mediaType)
  }
}

/**
 * A StoredLayer for a blob this process just wrote and measured (not re-verified on read).
 * @internal used by layerFromDirectory / layerFromEntries.
 */
export function storedLayer(path: string, d: StoredLayerInit): StoredLayer {
  return new FileLayer(path, d, false)
}

/**
 * A StoredLayer over a blob file that is already in a store (e.g. restored from a cache).
 * `mediaType` defaults to OCI tar+gzip. The file is trusted only as far as it checks out:
 * `compressed()` verifies digest and size while streaming and fails at the end of the stream
 * (DigestMismatchError / SizeMismatchError) if they differ; `uncompressed()` decompresses that
 * verified stream. The diffID is taken as given. Throws at once for a malformed digest.
 */
export function layerFromBlobFile(path: string, d: StoredLayerInit): StoredLayer {
  return new FileLayer(path, d, true)
}
