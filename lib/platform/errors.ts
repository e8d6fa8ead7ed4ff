// Typed errors of the platform contract: bad platform files and labels, unusable target data, no run image.
import { LadingError } from '../errors.js'

/** Platform files report problems through the TOML module's file error (same code, same wording). */
export { TomlFileError as PlatformFileError } from '../toml/index.js'

/** An `io.buildpacks.*` label whose value is not JSON (or not a JSON object); `label` names it. */
export class LabelError extends LadingError {
  constructor(readonly label: string, detail: string, options?: { cause?: unknown }) {
    super('ERR_LABEL_INVALID', `label ${label}: ${detail}`, options)
  }
}

/** Image config data the platform needs is missing or unusable (e.g. no `os` for target data). */
export class TargetDataError extends LadingError {
  constructor(detail: string) {
    super('ERR_TARGET_DATA_INVALID', detail)
  }
}

/** None of the run image candidates (image + mirrors) could be read; `candidates` lists what was tried. */
export class RunImageUnavailableError extends LadingError {
  constructor(readonly candidates: readonly string[]) {
    super('ERR_RUN_IMAGE_UNAVAILABLE',
      candidates.length
        ? `no readable run image among ${candidates.join(', ')}`
        : 'no run image: run.toml or the image label names none')
  }
}
