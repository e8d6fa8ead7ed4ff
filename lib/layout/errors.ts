// Typed errors of OCI image layouts (not found, invalid).
import { LadingError } from '../errors.js'

/** The directory is not an OCI image layout (no `oci-layout` file) and creation was not asked for. */
export class LayoutNotFoundError extends LadingError {
  constructor(readonly dir: string, detail: string) {
    super('ERR_LAYOUT_NOT_FOUND', `${dir} is not an OCI image layout: ${detail}`)
  }
}

/** A layout that exists but is unusable (bad `oci-layout` version, unreadable `index.json`). */
export class LayoutInvalidError extends LadingError {
  constructor(readonly dir: string, detail: string, options?: { cause?: unknown }) {
    super('ERR_LAYOUT_INVALID', `invalid OCI image layout ${dir}: ${detail}`, options)
  }
}

/**
 * A blob or manifest (by tag or digest) that the layout does not hold. Code `ERR_NOT_FOUND`
 * (the generic not-found code of the exit-code table); `what` tells blob from manifest.
 */
export class LayoutEntryNotFoundError extends LadingError {
  constructor(readonly what: 'blob' | 'manifest', readonly id: string, dir: string) {
    super('ERR_NOT_FOUND', `${what} ${id} not found in OCI layout ${dir}`)
  }
}
