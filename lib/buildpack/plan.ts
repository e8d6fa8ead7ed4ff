// The buildpack plan handed to one bin/build (CNB_BP_PLAN_PATH), and the plan entries left after it ran.
import type { PlanRequire } from './detect-plan.js'
import type { PlanEntry } from './resolve.js'
import { stringifyToml, type Table } from './toml-fields.js'

/** The plan handed to one bin/build (CNB_BP_PLAN_PATH). */
export interface BuildpackPlan {
  entries: PlanRequire[]
}

/**
 * Returns the buildpack plan for `buildpackId` (cnb-spec.md §2.5): the requires of every entry the
 * buildpack provides, in entry order (a name may repeat when several buildpacks required it).
 */
export function buildpackPlanFor(entries: readonly PlanEntry[], buildpackId: string): BuildpackPlan {
  const out: PlanRequire[] = []
  for (const e of entries) {
    if (e.providers.some((p) => p.id === buildpackId)) out.push(...e.requires)
  }
  return { entries: out }
}

/**
 * Returns the plan entries left for later buildpacks after one finished: every name in its plan
 * that it did not list as `[[unmet]]` is met, and entries requiring a met name are removed.
 */
export function removeMetEntries(entries: readonly PlanEntry[], bpPlan: BuildpackPlan, unmet: readonly string[]): PlanEntry[] {
  const met = new Set(bpPlan.entries.map((e) => e.name).filter((n) => !unmet.includes(n)))
  return entries.filter((e) => !e.requires.some((r) => met.has(r.name)))
}

/** Returns the TOML text of a buildpack plan (`[[entries]] name, [entries.metadata]`). */
export function formatBuildpackPlan(plan: BuildpackPlan): string {
  const entries: Table[] = plan.entries.map((e) => (e.metadata ? { name: e.name, metadata: e.metadata } : { name: e.name }))
  return stringifyToml({ entries })
}
