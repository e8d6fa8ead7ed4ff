/** THE table of process exit codes: every code the CLI can return, each with a name and a meaning
 * (cnb-spec.md §9.1). Lifecycle codes keep their lifecycle values so CI scripts written for
 * `pack`/lifecycle keep working; the plumbing commands use the generic range 1–10, one code per kind
 * of failure a script would branch on. Nothing else in lib/ writes a bare exit number.
 */

/** Each code, by name, with the line the README's exit-code list shows for it. */
export const EXIT_CODE_TABLE = {
  OK: { code: 0, meaning: 'ok' },
  FAILED: { code: 1, meaning: 'failure' },
  USAGE: { code: 3, meaning: 'usage: bad flags or arguments' },
  INVALID_INPUT: { code: 4, meaning: 'invalid input: bad reference, manifest, label, digest mismatch, unsafe tar path' },
  AUTH: { code: 5, meaning: 'authentication or authorization' },
  NOT_FOUND: { code: 6, meaning: 'not found' },
  UNAVAILABLE: { code: 7, meaning: 'registry unreachable or failing' },
  PLATFORM_API: { code: 11, meaning: 'platform API not supported' },
  BUILDPACK_API: { code: 12, meaning: 'buildpack API not supported' },
  DETECT_FAILED: { code: 20, meaning: 'detect: no group passed' },
  DETECT_ERRORED: { code: 21, meaning: 'detect: no group passed and a buildpack errored' },
  ANALYZE_RUN_IMAGE: { code: 30, meaning: 'analyze: the run image cannot be read' },
  ANALYZE_CACHE: { code: 31, meaning: 'analyze: the cache cannot be read' },
  ANALYZE_PREVIOUS_IMAGE: { code: 32, meaning: 'analyze: the previous image cannot be read' },
  ANALYZE_BUILD_IMAGE: { code: 33, meaning: 'analyze: the build image (or builder) cannot be read or unpacked' },
  RESTORE: { code: 40, meaning: 'restore: layers could not be restored' },
  BUILD: { code: 50, meaning: 'build failed' },
  BUILDPACK_BUILD_FAILED: { code: 51, meaning: "a buildpack's bin/build failed" },
  BUILD_WROTE_OUTSIDE: { code: 53, meaning: 'a buildpack wrote outside its layers directory' },
  EXPORT: { code: 60, meaning: 'export failed' },
  EXPORT_CACHED_LAUNCH_EMPTY: { code: 61, meaning: 'export: a launch+cache layer has no directory' },
  EXPORT_REUSE_MISSING: { code: 62, meaning: 'export: a layer to reuse is not in the previous image' },
  EXPORT_UNKNOWN_PROCESS: { code: 63, meaning: 'export: the requested default process type does not exist' },
  EXPORT_DEFAULT_PROCESS_MISSING: { code: 64, meaning: "export: the default process's command is not in the image" },
  EXPORT_RUN_IMAGE_INVALID: { code: 65, meaning: "export: the run image's config does not match its manifest" },
  REBASE: { code: 70, meaning: 'rebase failed' },
  REBASE_REFUSED: { code: 71, meaning: "rebase refused by the lifecycle's checks (use --force)" },
  REBASE_NOT_CNB: { code: 72, meaning: 'rebase: not a CNB image' },
  REBASE_LABEL: { code: 73, meaning: 'rebase: a label is missing or malformed' },
  REBASE_OLD_BASE: { code: 74, meaning: 'rebase: the old base cannot be proved' },
  REBASE_RUN_IMAGE: { code: 75, meaning: 'rebase: no new run image can be read' },
  LAUNCH: { code: 82, meaning: 'launch failed (in the image)' },
  INTERRUPTED: { code: 130, meaning: 'interrupted (SIGINT)' },
  TERMINATED: { code: 143, meaning: 'terminated (SIGTERM)' },
} as const satisfies Record<string, { code: number; meaning: string }>

export type ExitCodeName = keyof typeof EXIT_CODE_TABLE

/** Name → number, for callers that only need the number. */
export const ExitCodes = Object.fromEntries(
  Object.entries(EXIT_CODE_TABLE).map(([name, e]) => [name, e.code]),
) as { readonly [K in ExitCodeName]: (typeof EXIT_CODE_TABLE)[K]['code'] }

const BY_CODE: Record<string, ExitCodeName> = {
  ERR_USAGE: 'USAGE',
  ERR_REGISTRY_UNAUTHORIZED: 'AUTH',
  ERR_REGISTRY_DENIED: 'AUTH',
  ERR_CREDENTIAL_HELPER: 'AUTH',
  ERR_REGISTRY_NOT_FOUND: 'NOT_FOUND',
  ERR_LAYOUT_NOT_FOUND: 'NOT_FOUND',
  ERR_NOT_FOUND: 'NOT_FOUND',
  ERR_REGISTRY_UNREACHABLE: 'UNAVAILABLE',
  ERR_REGISTRY_SERVER: 'UNAVAILABLE',
  ERR_REGISTRY_RATE_LIMITED: 'UNAVAILABLE',
  ERR_ABORTED: 'INTERRUPTED',
  ERR_TERMINATED: 'TERMINATED',
  ERR_BUILDPACK_API: 'BUILDPACK_API',
  ERR_PLATFORM_API: 'PLATFORM_API',
  ERR_SANDBOX_UNAVAILABLE: 'FAILED',
}

const INVALID_INPUT = [
  /^ERR_REFERENCE_/, /^ERR_DIGEST_/, /^ERR_SIZE_/, /^ERR_MANIFEST_/, /^ERR_CONFIG_/, /^ERR_LAYER_/,
  /^ERR_MEDIA_TYPE/, /^ERR_UNSUPPORTED_MEDIA_TYPE/, /^ERR_PLATFORM_/, /^ERR_IMAGE_/, /^ERR_LAYOUT_/,
  /^ERR_LABEL_/, /^ERR_TLS_CA/, /^ERR_DISTRIBUTION_/, /^ERR_FLEET_FILE$/,
]

/** The exit code for an error `code` (LadingError.code); unknown codes are generic failures. */
export function exitCodeFor(code: string | undefined): number {
  if (!code) return ExitCodes.FAILED
  const direct = BY_CODE[code]
  if (direct !== undefined) return ExitCodes[direct]
  if (INVALID_INPUT.some((re) => re.test(code))) return ExitCodes.INVALID_INPUT
  return ExitCodes.FAILED
}
