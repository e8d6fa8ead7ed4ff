/** The lifecycle's detect resolver for one candidate group (cnb-spec.md §2.2–2.3), with its results log. */
import { LadingError } from '../errors.js'
import { EMPTY_DETECT_PLAN, type DetectPlan, type PlanRequire, type PlanSections } from './detect-plan.js'

/** A component buildpack taking part in a candidate group. */
export interface GroupElement {
  id: string
  version: string
  api: string
  homepage?: string
  optional: boolean
}

/** What one bin/detect said. `error` set (or a code other than 0/100) means it errored. */
export interface DetectOutcome {
  code: number
  plan?: DetectPlan
  error?: string
  output: string
}

/** One entry of plan.toml: who provides a dependency and every require of it. */
export interface PlanEntry {
  providers: { id: string; version: string }[]
  requires: PlanRequire[]
}

/** The group that resolved (optional flags stripped) and its build plan. */
export interface ResolvedGroup {
  group: Omit<GroupElement, 'optional'>[]
  plan: PlanEntry[]
}

/**
 * Outcome of resolving one candidate group; `errored` feeds exit code 21 vs 20. `log` holds the
 * lifecycle resolver's lines for this group (`======== Results ========`, `pass: id@version`,
 * `fail: id@version requires name`, ...), which a failed detection prints.
 */
export type GroupResolution = ({ ok: true; log: string[] } & ResolvedGroup) | { ok: false; errored: boolean; log: string[] }

/** Returns the memo key of a buildpack: `id@version`. */
export function elementKey(el: { id: string; version: string }): string {
  return `${el.id}@${el.version}`
}

/** Classifies an outcome: 0 pass, 100 fail, anything else (or an error) error. */
export function outcomeStatus(o: DetectOutcome): 'pass' | 'fail' | 'error' {
  if (o.error !== undefined) return 'error'
  return o.code === 0 ? 'pass' : o.code === 100 ? 'fail' : 'error'
}

interface Option extends PlanSections {
  el: GroupElement
  optional: boolean
}

interface Dep {
  providers: GroupElement[]
  requires: PlanRequire[]
  extraProvides: GroupElement[]
  earlyRequires: GroupElement[]
}

function buildDeps(trial: readonly Option[]): Map<string, Dep> {
  const deps = new Map<string, Dep>()
  const dep = (name: string): Dep => {
    let d = deps.get(name)
    if (!d) deps.set(name, (d = { providers: [], requires: [], extraProvides: [], earlyRequires: [] }))
    return d
  }
  for (const o of trial) {
    // Provides first, so an element can satisfy its own requires.
    for (const p of o.provides) dep(p.name).extraProvides.push(o.el)
    for (const r of o.requires) {
      const d = dep(r.name)
      d.providers.push(...d.extraProvides)
      d.extraProvides = []
      if (d.providers.length === 0) d.earlyRequires.push(o.el)
      else d.requires.push(r)
    }
  }
  return deps
}

/**
 * Runs one trial as the lifecycle does: drops optional elements with an unmet require or an
 * unused provide until stable, logging each `skip:`; a required one logs `fail:` and ends it.
 */
function runTrial(initial: readonly Option[], log: string[], n: number): { trial: Option[]; deps: Map<string, Dep> } | undefined {
  log.push(`Resolving plan... (try #${n})`)
  let trial = [...initial]
  for (;;) {
    const deps = buildDeps(trial)
    const drop = new Set<string>()
    const unmet = (el: GroupElement, what: string): boolean => {
      const opt = trial.find((o) => o.el.id === el.id)
      if (!opt?.optional) {
        log.push(`fail: ${elementKey(el)} ${what}`)
        return false
      }
      log.push(`skip: ${elementKey(el)} ${what}`)
      drop.add(el.id)
      return true
    }
    for (const [name, d] of deps) for (const el of d.earlyRequires) if (!unmet(el, `requires ${name}`)) return undefined
    for (const [name, d] of deps) for (const el of d.extraProvides) if (!unmet(el, `provides unused ${name}`)) return undefined
    if (drop.size === 0) {
      if (trial.length) return { trial, deps }
      log.push('fail: no viable buildpacks in group')
      return undefined
    }
    trial = trial.filter((o) => !drop.has(o.el.id))
  }
}

function optionsOf(el: GroupElement, plan: DetectPlan): Option[] {
  const all: PlanSections[] = [{ provides: plan.provides, requires: plan.requires }, ...plan.or]
  // [impl] an optional element may be dropped only in its last option.
  return all.map((s, i) => ({ ...s, el, optional: el.optional && i === all.length - 1 }))
}

function firstTrial(passed: readonly { el: GroupElement; plan: DetectPlan }[], log: string[]): ReturnType<typeof runTrial> {
  let n = 0
  const walk = (i: number, prefix: Option[]): ReturnType<typeof runTrial> => {
    const cur = passed[i]
    if (!cur) return runTrial(prefix, log, ++n)
    for (const opt of optionsOf(cur.el, cur.plan)) {
      const r = walk(i + 1, [...prefix, opt])
      if (r) return r
    }
    return undefined
  }
  return walk(0, [])
}

/**
 * Resolves one candidate group from its detect outcomes (keyed by elementKey), as the lifecycle's
 * resolver does (cnb-spec.md §2.2–2.3): a failed or errored required element fails the group,
 * optional ones are dropped; then the first plan trial (depth-first over each element's options)
 * that leaves no unmet require or unused provide wins. Pure. Throws only when an outcome is missing.
 */
export function resolveGroup(elements: readonly GroupElement[], outcomes: ReadonlyMap<string, DetectOutcome>): GroupResolution {
  let detected = true
  let errored = false
  const passed: { el: GroupElement; plan: DetectPlan }[] = []
  const log: string[] = []
  const results: string[] = ['======== Results ========']
  for (const el of elements) {
    const key = elementKey(el)
    const o = outcomes.get(key)
    if (!o) throw new LadingError('ERR_DETECT_MISSING', `no detect outcome for ${key}`)
    const status = outcomeStatus(o)
    // As the lifecycle logs it: an errored buildpack's output and error come before the results.
    if (status === 'error' && o.output.trim() !== '') log.push(`======== Output: ${key} ========`, o.output.replace(/\n$/, ''))
    if (o.error !== undefined) log.push(`======== Error: ${key} ========`, o.error)
    if (status === 'pass') {
      results.push(`pass: ${key}`)
      passed.push({ el, plan: o.plan ?? EMPTY_DETECT_PLAN })
    } else if (status === 'fail') {
      results.push(`${el.optional ? 'skip' : 'fail'}: ${key}`)
      detected &&= el.optional
    } else {
      results.push(o.error !== undefined || o.code === -1 ? `err:  ${key}` : `err:  ${key} (${o.code})`)
      errored = true
      detected &&= el.optional
    }
  }
  log.push(...results)
  if (!detected) return { ok: false, errored, log }
  if (passed.length === 0) {
    log.push('fail: no viable buildpacks in group')
    return { ok: false, errored: false, log }
  }
  const r = firstTrial(passed, log)
  if (!r) return { ok: false, errored: false, log }
  const group = r.trial.map(({ el }) => {
    const g: Omit<GroupElement, 'optional'> = { id: el.id, version: el.version, api: el.api }
    if (el.homepage !== undefined) g.homepage = el.homepage
    return g
  })
  if (group.length !== elements.length) log.push(`${group.length} of ${elements.length} buildpacks participating`)
  const plan: PlanEntry[] = []
  for (const d of r.deps.values()) {
    if (d.requires.length === 0) continue
    plan.push({ providers: d.providers.map((p) => ({ id: p.id, version: p.version })), requires: d.requires })
  }
  return { ok: true, group, plan, log }
}
