/** Errors of the Distribution API: bad builders, buildpackages, builder.toml and package.toml (exit code: invalid input). */
import { LadingError } from '../errors.js'

/** A builder or buildpackage that cannot be used as one; `what` names the image or file. */
export class DistributionError extends LadingError {
  constructor(kind: string, what: string, detail: string, options?: { cause?: unknown }) {
    super(`ERR_DISTRIBUTION_${kind}`, `${what}: ${detail}`, options)
  }
}
