/**
 * The one table of process exit codes (cnb-spec.md §9.1). Lifecycle codes keep their lifecycle
 * values so CI scripts written for `pack`/lifecycle keep working; the plumbing commands use the
 * "generic error" range 1–10 with one code per kind of failure a script would branch on.
 */
export const ExitCodes = {
  OK: 0,
  FAILED: 1,
  /** Bad flags or arguments (lifecycle's CodeForInvalidArgs). */
  USAGE: 3,
  /** Bad input: a malformed reference, manifest, config, layer or a digest mismatch. */
  INVALID_INPUT: 4,
  /** The registry refused our credentials (401) or the action (403). */
  AUTH: 5,
  /** The image, tag, repository or blob does not exist. */
  NOT_FOUND: 6,
  /** The registry could not be reached, kept failing (5xx) or kept rate-limiting. */
  UNAVAILABLE: 7,
  PLATFORM_API: 11,
  BUILDPACK_API: 12,
  DETECT_FAILED: 20,
  DETECT_ERRORED: 21,
  ANALYZE: 30,
  RESTORE: 40,
  BUILD: 50,
  BUILDPACK_BUILD_FAILED: 51,
  EXPORT: 60,
  REBASE: 70,
  LAUNCH: 82,
  INTERRUPTED: 130,
} as const

const BY_CODE: Record<string, number> = {
  ERR_USAGE: ExitCodes.USAGE,
  ERR_REGISTRY_UNAUTHORIZED: ExitCodes.AUTH,
  ERR_REGISTRY_DENIED: ExitCodes.AUTH,
  ERR_REGISTRY_NOT_FOUND: ExitCodes.NOT_FOUND,
  ERR_LAYOUT_NOT_FOUND: ExitCodes.NOT_FOUND,
  ERR_NOT_FOUND: ExitCodes.NOT_FOUND,
  ERR_REGISTRY_UNREACHABLE: ExitCodes.UNAVAILABLE,
  ERR_REGISTRY_SERVER: ExitCodes.UNAVAILABLE,
  ERR_REGISTRY_RATE_LIMITED: ExitCodes.UNAVAILABLE,
  ERR_ABORTED: ExitCodes.INTERRUPTED,
  ERR_BUILDPACK_API: ExitCodes.BUILDPACK_API,
  ERR_PLATFORM_API: ExitCodes.PLATFORM_API,
  ERR_SANDBOX_UNAVAILABLE: ExitCodes.FAILED,
}

const INVALID_INPUT = [
  /^ERR_REFERENCE_/, /^ERR_DIGEST_/, /^ERR_SIZE_/, /^ERR_MANIFEST_/, /^ERR_CONFIG_/, /^ERR_LAYER_/,
  /^ERR_MEDIA_TYPE/, /^ERR_UNSUPPORTED_MEDIA_TYPE/, /^ERR_PLATFORM_/, /^ERR_IMAGE_/, /^ERR_LAYOUT_/,
]

/** The exit code for an error `code` (LadingError.code); unknown codes are generic failures. */
export function exitCodeFor(code: string | undefined): number {
  if (!code) return ExitCodes.FAILED
  const direct = BY_CODE[code]
  if (direct !== undefined) return direct
  if (INVALID_INPUT.some((re) => re.test(code))) return ExitCodes.INVALID_INPUT
  return ExitCodes.FAILED
}
