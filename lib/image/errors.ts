// Typed errors of image handling: missing layer, rebase onto the wrong base, inconsistent mutation.
import type { Digest } from '../digest/index.js'
import { LadingError } from '../errors.js'

/** An image has no layer with the digest or diffID asked for. */
export class LayerNotFoundError extends LadingError {
  constructor(readonly digest: Digest, kind: 'digest' | 'diffID' = 'digest') {
    super('ERR_LAYER_NOT_FOUND', `image has no layer with ${kind} ${digest}`)
  }
}

/** A rebase whose image is not built on the given old base; `reason` names the mismatch. */
export class NotBasedOnError extends LadingError {
  constructor(readonly reason: string) {
    super('ERR_IMAGE_NOT_BASED_ON', `image is not based on the given old base: ${reason}`)
  }
}

/** A mutation whose result would be inconsistent (e.g. a config edit that changes diff_ids). */
export class InvalidMutationError extends LadingError {
  constructor(detail: string) {
    super('ERR_IMAGE_MUTATION_INVALID', detail)
  }
}
