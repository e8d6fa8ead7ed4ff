import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  detect, formatDetectTable, runDetect, type BuildpackDescriptor, type BuildpackStore, type OrderInput,
  type PlanEntry,
} from '../buildpack/index.js'
import { stringifyGroup, stringifyPlan } from '../platform/index.js'
import { runContext, type PhaseRuntime } from './build-context.js'
import { PhaseError } from './errors.js'

/** The group that passed detection, as descriptors in order, and its build plan. */
export interface Detected { group: BuildpackDescriptor[]; plan: PlanEntry[]; table: string }

/** Inputs of the detect phase. */
export interface DetectPhaseInput extends PhaseRuntime {
  order: OrderInput
  store: BuildpackStore
}

/**
 * Runs detection (cnb-spec.md §2) and writes group.toml and plan.toml into the layers dir.
 * When no group passes: PhaseError with exit 20 (all failed) or 21 (some errored) whose
 * message is a table of what each buildpack said.
 */
export async function detectPhase(i: DetectPhaseInput): Promise<Detected> {
  const ctx = runContext(i)
  const lookup = (id: string, version?: string): BuildpackDescriptor => i.store.lookup(id, version)
  const result = await detect(i.order, lookup, (bp) => runDetect(bp, ctx), { target: i.target, ...(i.signal ? { signal: i.signal } : {}) })
  const table = formatDetectTable(result.rows)
  if (!result.ok) {
    const why = result.exitCode === 21 ? 'no buildpack group passed detection, and a buildpack errored' : 'no buildpack group passed detection'
    throw new PhaseError('detect', result.exitCode === 21 ? 'DETECT_ERRORED' : 'DETECT_FAILED', `${why}:\n${formatDetectTable(result.rows, { withOutput: true })}`)
  }
  const group = result.group.map((g) => i.store.lookup(g.id, g.version))
  await writeFile(join(i.dirs.layers, 'group.toml'), stringifyGroup(result.group))
  await writeFile(join(i.dirs.layers, 'plan.toml'), stringifyPlan(result.plan))
  return { group, plan: result.plan, table }
}
