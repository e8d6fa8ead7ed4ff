// CNB API versions: parsing and comparing them, and which Buildpack and Platform APIs lading supports.
import { LadingError } from './errors.js'

/** A CNB API version: `"0.10"` → `{ major: 0, minor: 10 }`; `"1"` means `"1.0"`. */
export interface ApiVersion {
  readonly major: number
  readonly minor: number
}

/** Buildpack APIs whose contract lading implements, oldest first. */
export const SUPPORTED_BUILDPACK_APIS: readonly string[] = ['0.7', '0.8', '0.9', '0.10', '0.11']

/** The Platform API lading writes into images and follows for its own phases. */
export const PLATFORM_API = '0.13'

const VERSION_RE = /^(0|[1-9][0-9]*)(?:\.(0|[1-9][0-9]*))?$/

/** Thrown for a version string that is not `<major>[.<minor>]`; code ERR_API_VERSION_INVALID. */
export class InvalidApiVersionError extends LadingError {
  readonly value: string
  constructor(value: string) {
    super('ERR_API_VERSION_INVALID', `invalid API version ${JSON.stringify(value)}: want "<major>.<minor>"`)
    this.value = value
  }
}

/**
 * Thrown when a buildpack (or platform) asks for an API lading does not implement. Code
 * ERR_BUILDPACK_API for buildpacks (lifecycle exit 12), ERR_PLATFORM_API for the platform (exit 11).
 */
export class IncompatibleApiError extends LadingError {
  readonly kind: 'buildpack' | 'platform'
  readonly requested: string
  readonly supported: readonly string[]
  constructor(kind: 'buildpack' | 'platform', requested: string, supported: readonly string[], context?: string) {
    const where = context ? `${context}: ` : ''
    super(
      kind === 'buildpack' ? 'ERR_BUILDPACK_API' : 'ERR_PLATFORM_API',
      `${where}${kind} API ${requested} is not supported (supported: ${supported.join(', ')})`,
    )
    this.kind = kind
    this.requested = requested
    this.supported = supported
  }
}

/** Parses `"0.10"` or `"1"`; returns the version or throws InvalidApiVersionError. */
export function parseApiVersion(value: string): ApiVersion {
  const m = VERSION_RE.exec(value.trim())
  if (!m) throw new InvalidApiVersionError(value)
  return { major: Number(m[1]), minor: m[2] === undefined ? 0 : Number(m[2]) }
}

/** Returns the canonical `"<major>.<minor>"` form of a version. */
export function formatApiVersion(v: ApiVersion): string {
  return `${v.major}.${v.minor}`
}

/** Returns <0, 0 or >0 as `a` is older than, equal to or newer than `b`. Strings are parsed. */
export function compareApiVersions(a: ApiVersion | string, b: ApiVersion | string): number {
  const x = typeof a === 'string' ? parseApiVersion(a) : a
  const y = typeof b === 'string' ? parseApiVersion(b) : b
  return x.major !== y.major ? x.major - y.major : x.minor - y.minor
}

/** Returns true when `v` is `min` or newer. */
export function apiAtLeast(v: ApiVersion | string, min: ApiVersion | string): boolean {
  return compareApiVersions(v, min) >= 0
}

/** Returns true when `v` parses and is one of SUPPORTED_BUILDPACK_APIS. */
export function isSupportedBuildpackApi(v: string): boolean {
  try {
    const p = parseApiVersion(v)
    return SUPPORTED_BUILDPACK_APIS.some((s) => compareApiVersions(s, p) === 0)
  } catch {
    return false
  }
}

/**
 * Checks a buildpack's `api` and returns its canonical form (`"0.10"`); throws
 * IncompatibleApiError (naming `context`, e.g. the buildpack.toml path) when unsupported or malformed.
 */
export function checkBuildpackApi(api: string, context?: string): string {
  if (!isSupportedBuildpackApi(api)) throw new IncompatibleApiError('buildpack', api, SUPPORTED_BUILDPACK_APIS, context)
  return formatApiVersion(parseApiVersion(api))
}
