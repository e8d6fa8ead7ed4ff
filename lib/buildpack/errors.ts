// Typed errors of buildpacks: malformed files, not found or ambiguous, a failed bin/detect or bin/build.
import { LadingError } from '../errors.js'

/**
 * A buildpack-written or buildpack-shipped file is malformed. `path` names the file and `key` the
 * offending TOML key when there is one. Codes: ERR_BUILDPACK_DESCRIPTOR, ERR_BUILDPACK_LAYER_TOML,
 * ERR_BUILDPACK_LAUNCH_TOML, ERR_BUILDPACK_BUILD_TOML, ERR_BUILDPACK_STORE_TOML, ERR_BUILDPACK_PLAN,
 * ERR_BUILDPACK_SBOM.
 */
export class BuildpackFileError extends LadingError {
  readonly path: string
  readonly key: string | undefined
  /** The message without the file/buildpack prefix. */
  readonly detail: string
  /** The buildpack whose file this is, when known. */
  readonly buildpackId: string | undefined
  constructor(code: string, path: string, key: string | undefined, detail: string, options?: { cause?: unknown; buildpackId?: string }) {
    const who = options?.buildpackId ? `buildpack ${options.buildpackId}: ` : ''
    super(code, `${who}${path}${key ? ` (key ${key})` : ''}: ${detail}`, options)
    this.path = path
    this.key = key
    this.detail = detail
    this.buildpackId = options?.buildpackId
  }

  /** Returns the same error (same class and code) with the buildpack named in its message. */
  withBuildpack(buildpackId: string): BuildpackFileError {
    return new BuildpackFileError(this.code, this.path, this.key, this.detail, { cause: this.cause, buildpackId })
  }
}

/** buildpack.toml is malformed; code ERR_BUILDPACK_DESCRIPTOR. */
export class BuildpackDescriptorError extends BuildpackFileError {
  constructor(path: string, key: string | undefined, message: string, options?: { cause?: unknown }) {
    super('ERR_BUILDPACK_DESCRIPTOR', path, key, message, options)
  }
}

/** No buildpack with that id (and version) is known; code ERR_BUILDPACK_NOT_FOUND. */
export class BuildpackNotFoundError extends LadingError {
  readonly buildpackId: string
  readonly version: string | undefined
  constructor(id: string, version: string | undefined, known: readonly string[]) {
    const what = version ? `${id}@${version}` : id
    const hint = known.length ? ` (available: ${known.join(', ')})` : ''
    super('ERR_BUILDPACK_NOT_FOUND', `buildpack ${what} not found${hint}`)
    this.buildpackId = id
    this.version = version
  }
}

/** A buildpack reference without a version matches several and none is clearly newest; ERR_BUILDPACK_AMBIGUOUS. */
export class BuildpackAmbiguousError extends LadingError {
  readonly buildpackId: string
  readonly candidates: readonly string[]
  constructor(id: string, candidates: readonly string[], why: string) {
    super('ERR_BUILDPACK_AMBIGUOUS', `buildpack ${id} is ambiguous (${why}): ${candidates.join(', ')}; name a version`)
    this.buildpackId = id
    this.candidates = candidates
  }
}

/** Which buildpack process failed. */
export type BuildpackStage = 'detect' | 'build'

/**
 * A buildpack's bin/detect or bin/build failed (exit code, crash, or bad output); code
 * ERR_BUILDPACK_FAILED. `exitCode` is the process's code, or -1 when it did not get that far.
 */
export class BuildpackError extends LadingError {
  readonly buildpackId: string
  readonly stage: BuildpackStage
  readonly exitCode: number
  constructor(buildpackId: string, stage: BuildpackStage, exitCode: number, message?: string, options?: { cause?: unknown }) {
    super('ERR_BUILDPACK_FAILED', message ?? `buildpack ${buildpackId}: bin/${stage} failed with exit code ${exitCode}`, options)
    this.buildpackId = buildpackId
    this.stage = stage
    this.exitCode = exitCode
  }
}
