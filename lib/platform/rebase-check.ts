/** Rebase validation (cnb-spec.md §6.2) and the label rewrite (§6.3) as pure functions. The
 * validation mode follows `CNB_PLATFORM_API` from the *app image's* Env [impl]: missing or
 * < 0.12 → legacy stack-id/mixin checks that `force` cannot bypass; >= 0.12 → target checks
 * that `force` turns into warnings.
 */
import type { ImageConfig } from '../oci/index.js'
import { LABELS, type LayersMetadata, isBaseImageLabel } from './labels/index.js'
import { type ParseImageName, runImageNameMatches } from './run-image.js'

/** The parts of an image config the checks read. */
export type RebaseImageConfig = Pick<ImageConfig, 'os' | 'architecture' | 'variant' | 'config'>

/** Inputs of the rebase check. */
export interface RebaseCheckInput {
  app: RebaseImageConfig
  newBase: RebaseImageConfig
  force: boolean
  /**
   * The name check (the rebaser's own Platform API >= 0.12): the chosen run image name, the
   * app's decoded lifecycle metadata and a reference parser. Skipped when any is missing.
   */
  nameCheck?: { runImageName: string; metadata: LayersMetadata; parse: ParseImageName }
}

/** The verdict: rebase only when `errors` is empty. */
export interface RebaseCheckResult {
  errors: string[]
  warnings: string[]
  /** Which rule set applied, from the app image's CNB_PLATFORM_API. */
  mode: 'legacy' | 'target'
  /** False when the name check ran and failed (with force: pass the name to rebasedLifecycleMetadata). */
  nameMatched?: boolean
}

/** Returns the value of `key` in a config Env list, or undefined. */
export function envValue(env: readonly string[] | null | undefined, key: string): string | undefined {
  const prefix = `${key}=`
  const hit = (env ?? []).find((e) => e.startsWith(prefix))
  return hit === undefined ? undefined : hit.slice(prefix.length)
}

/** Returns true when API version `v` ("0.12", "1") is at least `min`; false when unparsable. */
export function apiAtLeast(v: string, min: string): boolean {
  const parse = (s: string): [number, number] | undefined => {
    const m = /^(\d+)(?:\.(\d+))?$/.exec(s.trim())
    return m ? [Number(m[1]), Number(m[2] ?? 0)] : undefined
  }
  const a = parse(v)
  const b = parse(min)
  if (!a || !b) return false
  return a[0] !== b[0] ? a[0] > b[0] : a[1] >= b[1]
}

function labelsOf(c: RebaseImageConfig): Record<string, string> {
  return c.config?.Labels ?? {}
}

function mixins(labels: Record<string, string>, which: string, errors: string[]): string[] {
  const raw = labels[LABELS.STACK_MIXINS]
  if (raw === undefined || raw === '') return []
  try {
    const v: unknown = JSON.parse(raw)
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.map((m) => m.replace(/^(build|run):/, ''))
  } catch {
    // fall through to the error below: an unreadable mixins label blocks a legacy rebase
  }
  errors.push(`${which} image label ${LABELS.STACK_MIXINS} is not a JSON array of strings`)
  return []
}

function checkLegacy(input: RebaseCheckInput, errors: string[]): void {
  const app = labelsOf(input.app)
  const base = labelsOf(input.newBase)
  const appStack = app[LABELS.STACK_ID] ?? ''
  const baseStack = base[LABELS.STACK_ID] ?? ''
  if (!appStack) errors.push(`app image has no ${LABELS.STACK_ID} label`)
  if (!baseStack) errors.push(`new run image has no ${LABELS.STACK_ID} label`)
  if (appStack && baseStack && appStack !== baseStack) {
    errors.push(`incompatible stack: new run image stack id "${baseStack}" does not match app image stack id "${appStack}"`)
  }
  const have = new Set(mixins(base, 'new run', errors))
  const missing = mixins(app, 'app', errors).filter((m) => !have.has(m))
  if (missing.length > 0) errors.push(`new run image is missing required mixin(s): ${[...new Set(missing)].join(', ')}`)
}

function checkTarget(input: RebaseCheckInput, problems: string[]): void {
  const app = labelsOf(input.app)
  const base = labelsOf(input.newBase)
  if (app[LABELS.REBASABLE] === 'false') problems.push(`app image is not marked as rebasable (${LABELS.REBASABLE}=false)`)
  const a = input.app
  const b = input.newBase
  if ((a.os ?? '') !== (b.os ?? '')) {
    problems.push(`incompatible os: new run image os "${b.os ?? ''}" does not match app image os "${a.os ?? ''}"`)
  }
  if ((a.architecture ?? '') !== (b.architecture ?? '')) {
    problems.push(`incompatible architecture: new run image "${b.architecture ?? ''}" does not match app image "${a.architecture ?? ''}"`)
  }
  if (a.variant && b.variant && a.variant !== b.variant) {
    problems.push(`incompatible variant: new run image "${b.variant}" does not match app image "${a.variant}"`)
  }
  for (const key of [LABELS.BASE_DISTRO_NAME, LABELS.BASE_DISTRO_VERSION]) {
    const bv = base[key]
    if (bv === undefined) continue
    const av = app[key]
    if (av === undefined) problems.push(`app image has no ${key} label, but the new run image has "${bv}"`)
    else if (av && bv && av !== bv) problems.push(`incompatible ${key}: new run image "${bv}" does not match app image "${av}"`)
  }
}

/**
 * Returns the rebase verdict for an app image onto `newBase` (§6.2). Legacy mode (app Env has
 * no CNB_PLATFORM_API or one < 0.12): stack ids must be set and equal, the new base's mixins
 * must cover the app's (stage prefixes ignored); `force` does not help. Target mode: rebasable
 * label, os, architecture, variant (when both set), distro labels, and the run image name
 * check; with `force` each failure is a warning instead. Never throws.
 */
export function checkRebase(input: RebaseCheckInput): RebaseCheckResult {
  const errors: string[] = []
  const warnings: string[] = []
  const api = envValue(input.app.config?.Env, 'CNB_PLATFORM_API')
  const mode = api !== undefined && apiAtLeast(api, '0.12') ? 'target' : 'legacy'
  if (api !== undefined && !/^\d+(\.\d+)?$/.test(api.trim())) {
    warnings.push(`app image CNB_PLATFORM_API ${JSON.stringify(api)} is not a version; using legacy checks`)
  }
  const problems: string[] = []
  if (mode === 'legacy') checkLegacy(input, errors)
  else checkTarget(input, problems)
  let nameMatched: boolean | undefined
  if (input.nameCheck) {
    const { runImageName, metadata, parse } = input.nameCheck
    nameMatched = runImageNameMatches(runImageName, metadata, parse)
    if (!nameMatched) {
      const known = [metadata.runImage.image, ...metadata.runImage.mirrors].filter(Boolean)
      problems.push(`run image "${runImageName}" is not the app's run image or one of its mirrors (${known.join(', ') || 'none recorded'})`)
    }
  }
  if (input.force) warnings.push(...problems.map((p) => `${p} (ignored: forced)`))
  else errors.push(...problems)
  const out: RebaseCheckResult = { errors, warnings, mode }
  if (nameMatched !== undefined) out.nameMatched = nameMatched
  return out
}

/**
 * Returns the lifecycle metadata after a rebase (§6.3): `runImage.topLayer` and `reference`
 * replaced; with `newName` (a forced rebase onto a name outside image/mirrors) `image` becomes
 * it and `mirrors` becomes [] (the encoder writes `stack.runImage` to match). Everything else
 * is copied; the input is not modified.
 */
export function rebasedLifecycleMetadata(old: LayersMetadata, newTopLayer: string, newReference: string, newName?: string): LayersMetadata {
  const copy = structuredClone(old)
  copy.runImage.topLayer = newTopLayer
  copy.runImage.reference = newReference
  if (newName !== undefined) {
    copy.runImage.image = newName
    copy.runImage.mirrors = []
  }
  return copy
}

/**
 * Returns the app image's labels after a rebase (§6.3 step 3): every `io.buildpacks.base.*` and
 * `io.buildpacks.stack.*` label removed, then those of the new base copied in.
 * `io.buildpacks.rebasable` and all other labels are kept as they were. Keys keep app order,
 * new base labels appended in their order.
 */
export function rebasedLabels(
  appLabels: Readonly<Record<string, string>> | null | undefined,
  newBaseLabels: Readonly<Record<string, string>> | null | undefined,
): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(appLabels ?? {})) if (!isBaseImageLabel(k)) out[k] = v
  for (const [k, v] of Object.entries(newBaseLabels ?? {})) if (isBaseImageLabel(k)) out[k] = v
  return out
}
