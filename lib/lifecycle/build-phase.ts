// The build phase: runs each buildpack's bin/build in group order and collects what export needs.
import { copyFile, mkdir, readdir, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import {
  accumulateBuildLayers, buildpackPlanFor, escapeId, mergeLabels, mergeProcesses, planSbomCopies, removeMetEntries,
  runBuild, BuildpackError, type BuildOutcome, type BuildpackDescriptor, type LabelDef, type PlanEntry,
  type ProcessDef, type SliceDef,
} from '../buildpack/index.js'
import { LadingError } from '../errors.js'
import { runContext, type PhaseRuntime } from './build-context.js'
import { PhaseError } from './errors.js'
import { definedOnly } from '../defined.js'

/** What the build phase produced, for export. */
export interface Built {
  outcomes: { bp: BuildpackDescriptor; outcome: BuildOutcome }[]
  processes: ProcessDef[]
  defaultType?: string
  labels: LabelDef[]
  slices: SliceDef[]
  warnings: string[]
}

/** Inputs of the build phase. */
export interface BuildPhaseInput extends PhaseRuntime {
  group: readonly BuildpackDescriptor[]
  plan: readonly PlanEntry[]
  onBuildpack?: (bp: BuildpackDescriptor) => void
}

/**
 * Runs each buildpack's bin/build in group order (cnb-spec.md §3): its plan, then the env its
 * build layers give to the buildpacks after it, then met plan entries removed. A failing
 * buildpack stops the build with exit 51 naming it; malformed files it wrote, exit 50s.
 */
export async function buildPhase(input: BuildPhaseInput): Promise<Built> {
  let entries: PlanEntry[] = [...input.plan]
  const outcomes: Built['outcomes'] = []
  for (const bp of input.group) {
    input.onBuildpack?.(bp)
    const bpPlan = buildpackPlanFor(entries, bp.id)
    const layersDir = join(input.dirs.layers, escapeId(bp.id))
    await mkdir(layersDir, { recursive: true })
    const before = new Set(await readdir(input.dirs.layers))
    let outcome: BuildOutcome
    try {
      outcome = await runBuild(bp, { ...runContext(input), layersDir: input.dirs.layers, plan: bpPlan })
    } catch (err) {
      if (err instanceof BuildpackError) throw new PhaseError('build', 'BUILDPACK_BUILD_FAILED', err.message, { cause: err })
      if (err instanceof LadingError) throw new PhaseError('build', 'BUILD', err.message, { cause: err })
      throw err
    }
    // A buildpack owns <layers>/<its id> only: anything new beside it would be exported by nobody.
    const strays = (await readdir(input.dirs.layers)).filter((n) => !before.has(n))
    if (strays.length > 0) {
      throw new PhaseError('build', 'BUILD_WROTE_OUTSIDE', `buildpack ${bp.id} wrote outside its layers directory: ${strays.map((n) => `/layers/${n}`).join(', ')} (it may only write under /layers/${escapeId(bp.id)})`)
    }
    outcomes.push({ bp, outcome })
    entries = removeMetEntries(entries, bpPlan, outcome.unmet)
    await accumulateBuildLayers(input.env, layersDir, input.exec.toContainer)
  }
  const merged = mergeProcesses(outcomes.map((o) => o.outcome.launch.processes))
  await copySboms(input.dirs.layers, input.group)
  return definedOnly({
    outcomes,
    processes: merged.processes,
    defaultType: merged.defaultType || undefined,
    labels: mergeLabels(outcomes.map((o) => o.outcome.launch.labels)),
    slices: outcomes.flatMap((o) => o.outcome.launch.slices),
    warnings: merged.warnings,
  })
}

/** Places SBOM files under <layers>/sbom/{launch,build,cache} as the lifecycle's builder does (§3.6). */
async function copySboms(layersDir: string, group: readonly BuildpackDescriptor[]): Promise<void> {
  await rm(join(layersDir, 'sbom'), { recursive: true, force: true })
  for (const c of await planSbomCopies(layersDir, group)) {
    // c.to is relative to the layers dir (not to the process's working directory).
    const to = join(layersDir, c.to)
    await mkdir(dirname(to), { recursive: true })
    await copyFile(c.from, to)
  }
}
