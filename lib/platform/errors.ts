import { LadingError } from '../errors.js'

/**
 * A platform file (order.toml, group.toml, project.toml, run.toml, analyzed.toml, …) that is not
 * valid TOML or has a key of the wrong shape. `file` names the file as given by the caller and
 * `key` the dotted key path (e.g. `order[1].group[0].id`), empty for whole-file problems.
 */
export class PlatformFileError extends LadingError {
  constructor(readonly file: string, readonly key: string, detail: string, options?: { cause?: unknown }) {
    super('ERR_PLATFORM_FILE_INVALID', `${file}: ${key ? `key "${key}": ` : ''}${detail}`, options)
  }
}

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
