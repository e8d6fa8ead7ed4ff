// Typed errors of OCI data: bad references, unsupported media types, invalid manifests, no matching platform.
import { LadingError } from '../errors.js'
import type { MediaType } from './media-type.js'

/** A reference string that does not follow the Docker/OCI reference grammar; the message quotes the input. */
export class InvalidReferenceError extends LadingError {
  constructor(readonly input: string, readonly reason: string) {
    super('ERR_REFERENCE_INVALID', `invalid reference ${JSON.stringify(input)}: ${reason}`)
  }
}

/** A media type lading cannot handle here (schema1 manifests, unknown manifest kinds, layer types a family cannot carry). */
export class UnsupportedMediaTypeError extends LadingError {
  constructor(readonly mediaType: MediaType, detail?: string) {
    super('ERR_MEDIA_TYPE_UNSUPPORTED', `unsupported media type ${JSON.stringify(mediaType)}${detail ? `: ${detail}` : ''}`)
  }
}

/** A manifest, index or config that is not valid JSON or misses/garbles a required field (named in `field`). */
export class InvalidManifestError extends LadingError {
  constructor(readonly field: string, detail: string, options?: { cause?: unknown }) {
    super('ERR_MANIFEST_INVALID', `invalid manifest: ${field ? `${field}: ` : ''}${detail}`, options)
  }
}

/** No index entry matches the wanted platform; `available` lists what the index offers. */
export class NoMatchingPlatformError extends LadingError {
  constructor(readonly wanted: string, readonly available: readonly string[]) {
    super('ERR_PLATFORM_NOT_FOUND',
      `no image for platform ${wanted} (available: ${available.length ? available.join(', ') : 'none'})`)
  }
}
