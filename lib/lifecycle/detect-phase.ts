/** The detect phase: runs detection over the order, writes group.toml and plan.toml, reports a failure as the lifecycle does. */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  detect, formatDetectTable, runDetect, type BuildpackDescriptor, type BuildpackStore, type OrderInput,
  type PlanEntry,
} from '../buildpack/index.js'
import { stringifyGroup, stringifyPlan } from '../platform/index.js'
import { runContext, type PhaseRuntime } from './build-context.js'
import { PhaseError } from './errors.js'
import { definedOnly } from '../defined.js'

/** The group that passed detection, as descriptors in order, and its build plan. */
export interface Detected { group: BuildpackDescriptor[]; plan: PlanEntry[]; table: string }

/** Inputs of the detect phase. */
export interface DetectPhaseInput extends PhaseRuntime {
  order: OrderInput
  store: BuildpackStore
}

/**
 * The message of a failed detection, in the lifecycle detector's shape: per group tried, the
 * errored buildpacks' output, `======== Results ========` with a `pass:`/`fail:`/`skip:`/`err:`
 * line per buildpack, then the plan resolution (`fail: id@version requires name`, `... provides
 * unused name`); then the lifecycle's closing lines. bin/detect output of passing and failing
 * buildpacks is not repeated: it was streamed as it came.
 */
export function detectFailureMessage(log: readonly string[], exitCode: 20 | 21): string {
  // The lifecycle's final error line comes first here: the CLI prefixes the first line with `error: `.
  const head = `failed to detect: ${exitCode === 21 ? 'buildpack(s) failed with err' : 'no buildpacks participating'}`
  const tail = exitCode === 21 ? ['No buildpack groups passed detection.'] : ['No buildpack groups passed detection.', 'Please check that you are running against the correct path.']
  return [head, ...log, ...tail].join('\n')
}

/**
 * Runs detection (cnb-spec.md §2) and writes group.toml and plan.toml into the layers dir.
 * When no group passes: PhaseError with exit 20 (all failed) or 21 (some errored) whose
 * message is detectFailureMessage.
 */
export async function detectPhase(input: DetectPhaseInput): Promise<Detected> {
  const ctx = runContext(input)
  const lookup = (id: string, version?: string): BuildpackDescriptor => input.store.lookup(id, version)
  const result = await detect(input.order, lookup, (bp) => runDetect(bp, ctx), definedOnly({ target: input.target, signal: input.signal }))
  const table = formatDetectTable(result.rows)
  if (!result.ok) {
    throw new PhaseError('detect', result.exitCode === 21 ? 'DETECT_ERRORED' : 'DETECT_FAILED', detectFailureMessage(result.log, result.exitCode))
  }
  const group = result.group.map((g) => input.store.lookup(g.id, g.version))
  await writeFile(join(input.dirs.layers, 'group.toml'), stringifyGroup(result.group))
  await writeFile(join(input.dirs.layers, 'plan.toml'), stringifyPlan(result.plan))
  return { group, plan: result.plan, table }
}
