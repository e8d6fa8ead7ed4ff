// Layer gzip: the deterministic compressor for new layers, and gunzip (or zstd) of layer blobs read back.
import { type Readable, type Transform } from 'node:stream'
import { pipeline } from 'node:stream'
import * as zlib from 'node:zlib'
import { LadingError } from '../errors.js'
import { MediaTypes, isGzipLayerType, isUncompressedLayerType, type MediaType } from '../oci/index.js'
import { createParallelGzip } from './parallel-gzip.js'

/** Default gzip level for layers: zlib's own default, the usual size/speed balance. */
export const DEFAULT_GZIP_LEVEL = 6

/**
 * A gzip compressor whose output depends only on its input and `level` (for a given zlib
 * build): a header with no file name, mtime 0 and no extra fields, and blocks deflated in
 * parallel (parallel-gzip.ts) in a fixed layout. Throws ERR_LAYER_INVALID_GZIP_LEVEL for a
 * level outside 0..9.
 */
export function createDeterministicGzip(level: number = DEFAULT_GZIP_LEVEL): Transform {
  checkGzipLevel(level)
  return createParallelGzip({ level })
}

/** Throws ERR_LAYER_INVALID_GZIP_LEVEL unless `level` is an integer 0..9. */
export function checkGzipLevel(level: number): void {
  if (!Number.isInteger(level) || level < 0 || level > 9) {
    throw new LadingError('ERR_LAYER_INVALID_GZIP_LEVEL', `gzip level must be an integer 0..9, got ${level}`)
  }
}

/**
 * Returns the uncompressed tar of a layer blob stream: gzip types (OCI and Docker) are
 * gunzipped, uncompressed tar types are returned as they are, zstd is decompressed when this
 * Node has zstd in node:zlib. Errors of `stream` are forwarded to the returned stream.
 * Throws ERR_LAYER_UNSUPPORTED_COMPRESSION for zstd without support, and
 * ERR_LAYER_UNSUPPORTED_MEDIA_TYPE for anything that is not a layer tar.
 */
export function gunzipIfNeeded(stream: Readable, mediaType: MediaType): Readable {
  if (isGzipLayerType(mediaType)) return through(stream, zlib.createGunzip())
  if (mediaType.endsWith('+zstd')) {
    const make = (zlib as unknown as { createZstdDecompress?: () => Transform }).createZstdDecompress
    if (typeof make !== 'function') {
      stream.destroy()
      throw new LadingError('ERR_LAYER_UNSUPPORTED_COMPRESSION',
        `layer is zstd-compressed (${mediaType}) but Node ${process.version} has no zstd in node:zlib; use Node 22.15+ or a gzip layer`)
    }
    return through(stream, make())
  }
  if (isUncompressedLayerType(mediaType) || mediaType === MediaTypes.OCI_LAYER || mediaType.endsWith('.tar')) return stream
  stream.destroy()
  throw new LadingError('ERR_LAYER_UNSUPPORTED_MEDIA_TYPE', `not a layer media type: ${mediaType}`)
}

function through(src: Readable, t: Transform): Readable {
  // pipeline destroys every stream on the first error, so the consumer of `t` sees it.
  pipeline(src, t, () => {})
  return t
}
