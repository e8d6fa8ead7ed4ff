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

/** Outcome of resolving one candidate group; `errored` feeds exit code 21 vs 20. */
export type GroupResolution = ({ ok: true } & ResolvedGroup) | { ok: false; errored: boolean }

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

/** Runs one trial: drops optional elements with unmet requires / unused provides until stable. */
function runTrial(initial: readonly Option[]): { trial: Option[]; deps: Map<string, Dep> } | undefined {
  let trial = [...initial]
  for (;;) {
    const deps = buildDeps(trial)
    const drop = new Set<string>()
    for (const d of deps.values()) {
      for (const el of [...d.earlyRequires, ...d.extraProvides]) {
        const opt = trial.find((o) => o.el.id === el.id)
        if (!opt?.optional) return undefined
        drop.add(el.id)
      }
    }
    if (drop.size === 0) return trial.length ? { trial, deps } : undefined
    trial = trial.filter((o) => !drop.has(o.el.id))
  }
}

function optionsOf(el: GroupElement, plan: DetectPlan): Option[] {
  const all: PlanSections[] = [{ provides: plan.provides, requires: plan.requires }, ...plan.or]
  // [impl] an optional element may be dropped only in its last option.
  return all.map((s, i) => ({ ...s, el, optional: el.optional && i === all.length - 1 }))
}

function firstTrial(passed: readonly { el: GroupElement; plan: DetectPlan }[]): ReturnType<typeof runTrial> {
  const walk = (i: number, prefix: Option[]): ReturnType<typeof runTrial> => {
    const cur = passed[i]
    if (!cur) return runTrial(prefix)
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
  for (const el of elements) {
    const o = outcomes.get(elementKey(el))
    if (!o) throw new LadingError('ERR_DETECT_MISSING', `no detect outcome for ${elementKey(el)}`)
    const status = outcomeStatus(o)
    if (status === 'pass') passed.push({ el, plan: o.plan ?? EMPTY_DETECT_PLAN })
    else {
      if (status === 'error') errored = true
      detected &&= el.optional
    }
  }
  if (!detected) return { ok: false, errored }
  if (passed.length === 0) return { ok: false, errored: false }
  const r = firstTrial(passed)
  if (!r) return { ok: false, errored: false }
  const group = r.trial.map(({ el }) => {
    const g: Omit<GroupElement, 'optional'> = { id: el.id, version: el.version, api: el.api }
    if (el.homepage !== undefined) g.homepage = el.homepage
    return g
  })
  const plan: PlanEntry[] = []
  for (const d of r.deps.values()) {
    if (d.requires.length === 0) continue
    plan.push({ providers: d.providers.map((p) => ({ id: p.id, version: p.version })), requires: d.requires })
  }
  return { ok: true, group, plan }
}
