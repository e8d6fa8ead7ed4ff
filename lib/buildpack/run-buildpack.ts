// Runs one buildpack's bin/detect or bin/build and reads back and checks everything it wrote.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { apiAtLeast } from '../api-version.js'
import { parseBuildToml } from './build-toml.js'
import { buildEnvForBuildpack } from './build-env.js'
import { parseDetectPlan } from './detect-plan.js'
import { escapeId, type BuildpackDescriptor } from './descriptor.js'
import type { Env, PathMapper } from './env-files.js'
import { BuildpackError, BuildpackFileError } from './errors.js'
import { parseLaunchToml, type LaunchToml } from './launch-toml.js'
import { finalizeLayers, findUnsupportedSbomFiles, readBuildpackSbomFiles, readLayersDir, SBOM_EXTENSIONS, type LayerInfo, type SbomFile } from './layer-metadata.js'
import { formatBuildpackPlan, type BuildpackPlan } from './plan.js'
import type { DetectOutcome } from './resolve.js'
import { parseStoreToml, type StoreToml } from './store-toml.js'
import type { RunTarget } from './target.js'

/** Runs a program (on the host or in a sandbox) and reports its exit code; output goes to onOutput. */
export interface ProcessRunner {
  run(
    file: string,
    args: readonly string[],
    o: { cwd: string; env: Record<string, string>; signal?: AbortSignal; onOutput?: (chunk: string) => void },
  ): Promise<{ exitCode: number }>
}

/** What runDetect and runBuild share. All paths are host paths; `toContainer` maps them for the process. */
export interface RunContext {
  runner: ProcessRunner
  appDir: string
  platformDir: string
  buildConfigDir?: string
  /** Host directory for the temporary plan files (must be visible to the process through toContainer). */
  tmpDir: string
  /** The accumulated build env (initialBuildEnv + earlier build layers); not modified. */
  env: Env
  /** Target for CNB_TARGET_*; default: linux and the host architecture. */
  target?: RunTarget
  toContainer?: PathMapper
  signal?: AbortSignal
  onOutput?: (chunk: string) => void
}

const ARCH: Readonly<Record<string, string>> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' }

function targetVars(bp: BuildpackDescriptor, t: RunTarget | undefined): Record<string, string> {
  if (!apiAtLeast(bp.api, '0.10')) return {}
  const target = t ?? { os: 'linux', arch: ARCH[process.arch] ?? process.arch }
  const v: Record<string, string> = { CNB_TARGET_OS: target.os, CNB_TARGET_ARCH: target.arch }
  if (target.variant) v['CNB_TARGET_ARCH_VARIANT'] = target.variant
  if (target.distro) {
    v['CNB_TARGET_DISTRO_NAME'] = target.distro.name
    v['CNB_TARGET_DISTRO_VERSION'] = target.distro.version
  }
  return v
}

async function invoke(bp: BuildpackDescriptor, stage: 'detect' | 'build', ctx: RunContext, args: string[], cnbVars: Record<string, string>, collect: boolean): Promise<{ exitCode: number; output: string }> {
  const map = ctx.toContainer ?? ((p: string) => p)
  const env = await buildEnvForBuildpack({ env: ctx.env, platformDir: ctx.platformDir, buildConfigDir: ctx.buildConfigDir, clearEnv: bp.clearEnv, cnbVars })
  let output = ''
  const onOutput = (chunk: string): void => {
    if (collect) output += chunk
    ctx.onOutput?.(chunk)
  }
  const o: Parameters<ProcessRunner['run']>[2] = { cwd: map(ctx.appDir), env, onOutput }
  if (ctx.signal) o.signal = ctx.signal
  try {
    const { exitCode } = await ctx.runner.run(map(join(bp.dir, 'bin', stage)), args, o)
    return { exitCode, output }
  } catch (err) {
    if (ctx.signal?.aborted) throw ctx.signal.reason ?? err
    throw new BuildpackError(bp.id, stage, -1, `buildpack ${bp.id}: cannot run bin/${stage}: ${(err as Error).message}`, { cause: err })
  }
}

/**
 * Runs a component buildpack's bin/detect (cnb-spec.md §3.1): creates an empty plan file under
 * ctx.tmpDir, passes `<platform> <plan>` and the CNB_* variables, and on exit 0 parses the plan.
 * Never throws for buildpack misbehaviour: a crash, a bad plan or an odd code is an error outcome.
 */
export async function runDetect(bp: BuildpackDescriptor, ctx: RunContext): Promise<DetectOutcome> {
  const map = ctx.toContainer ?? ((p: string) => p)
  const planDir = await mkdtemp(join(ctx.tmpDir, `plan.${escapeId(bp.id)}.`))
  const planPath = join(planDir, 'plan.toml')
  try {
    await writeFile(planPath, '')
    const vars: Record<string, string> = { CNB_BUILDPACK_DIR: map(bp.dir) }
    if (apiAtLeast(bp.api, '0.8')) {
      vars['CNB_PLATFORM_DIR'] = map(ctx.platformDir)
      vars['CNB_BUILD_PLAN_PATH'] = map(planPath)
    }
    Object.assign(vars, targetVars(bp, ctx.target))
    let r: { exitCode: number; output: string }
    try {
      r = await invoke(bp, 'detect', ctx, [map(ctx.platformDir), map(planPath)], vars, true)
    } catch (err) {
      // Cancellation is not a buildpack error: let it end the whole detect.
      if (ctx.signal?.aborted) throw ctx.signal.reason ?? err
      return { code: -1, output: '', error: (err as Error).message }
    }
    if (r.exitCode !== 0) return { code: r.exitCode, output: r.output }
    try {
      return { code: 0, output: r.output, plan: parseDetectPlan(await readFile(planPath, 'utf8'), planPath) }
    } catch (err) {
      const msg = err instanceof BuildpackFileError ? `build plan: ${err.detail}${err.key ? ` (key ${err.key})` : ''}` : (err as Error).message
      return { code: 0, output: r.output, error: msg }
    }
  } finally {
    await rm(planDir, { recursive: true, force: true })
  }
}

/** Everything a bin/build left behind, read back and validated. */
export interface BuildOutcome {
  /** `<layers>/<escaped-id>` (host path). */
  layersDir: string
  /** Layers after finalizeLayers (all-false ones have hasDir false). */
  layers: LayerInfo[]
  launch: LaunchToml
  /** Names the buildpack left unmet ([[unmet]] in build.toml). */
  unmet: string[]
  store: StoreToml | undefined
  sbom: { launch: SbomFile[]; build: SbomFile[] }
  /** Layer directories renamed to `<name>.ignore`. */
  ignored: string[]
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}

function checkSbom(bp: BuildpackDescriptor, files: readonly SbomFile[]): void {
  for (const f of files) {
    if (!bp.sbomFormats.includes(f.mediaType)) {
      throw new BuildpackFileError('ERR_BUILDPACK_SBOM', f.path, undefined,
        `SBOM type ${f.mediaType} is not declared in buildpack.toml sbom-formats (${bp.sbomFormats.join(', ') || 'none'})`)
    }
  }
}

async function readResults(bp: BuildpackDescriptor, bpLayersDir: string, plan: BuildpackPlan): Promise<BuildOutcome> {
  const launchPath = join(bpLayersDir, 'launch.toml')
  const launchText = await readOptional(launchPath)
  const launch = launchText === undefined ? { processes: [], labels: [], slices: [] } : parseLaunchToml(launchText, launchPath, bp)
  const buildPath = join(bpLayersDir, 'build.toml')
  const buildText = await readOptional(buildPath)
  const unmet = buildText === undefined ? [] : parseBuildToml(buildText, buildPath, plan.entries.map((e) => e.name)).unmet
  const storePath = join(bpLayersDir, 'store.toml')
  const storeText = await readOptional(storePath)
  const store = storeText === undefined ? undefined : parseStoreToml(storeText, storePath)
  const before = await readLayersDir(bpLayersDir)
  const sbom = await readBuildpackSbomFiles(bpLayersDir)
  for (const path of await findUnsupportedSbomFiles(bpLayersDir)) {
    throw new BuildpackFileError('ERR_BUILDPACK_SBOM', path, undefined, `unsupported SBOM format (use one of .sbom.${Object.keys(SBOM_EXTENSIONS).join(', .sbom.')})`)
  }
  checkSbom(bp, [...before.flatMap((l) => l.sbomFiles), ...sbom.launch, ...sbom.build])
  const ignored = await finalizeLayers(bpLayersDir)
  const layers = ignored.length ? await readLayersDir(bpLayersDir) : before
  return { layersDir: bpLayersDir, layers, launch, unmet, store, sbom, ignored }
}

/**
 * Runs a component buildpack's bin/build (cnb-spec.md §3.1): creates `<layers>/<escaped-id>`,
 * writes `plan` to a fresh file, passes `<layers>/<id> <platform> <plan>` and the CNB_* variables,
 * then reads back and validates layers, launch.toml, build.toml, store.toml and SBOM files, and
 * renames all-false layers. Throws BuildpackError (stage 'build') for a non-zero exit or a failure
 * to start, and BuildpackFileError (naming the buildpack and file) for malformed output.
 * Does not touch ctx.env: call accumulateBuildLayers afterwards.
 */
export async function runBuild(bp: BuildpackDescriptor, ctx: RunContext & { layersDir: string; plan: BuildpackPlan }): Promise<BuildOutcome> {
  const map = ctx.toContainer ?? ((p: string) => p)
  const bpLayersDir = join(ctx.layersDir, escapeId(bp.id))
  await mkdir(bpLayersDir, { recursive: true })
  const planDir = await mkdtemp(join(ctx.tmpDir, `plan.${escapeId(bp.id)}.`))
  const planPath = join(planDir, 'plan.toml')
  try {
    await writeFile(planPath, formatBuildpackPlan(ctx.plan))
    const vars: Record<string, string> = { CNB_BUILDPACK_DIR: map(bp.dir) }
    if (apiAtLeast(bp.api, '0.8')) {
      vars['CNB_LAYERS_DIR'] = map(bpLayersDir)
      vars['CNB_PLATFORM_DIR'] = map(ctx.platformDir)
      vars['CNB_BP_PLAN_PATH'] = map(planPath)
    }
    Object.assign(vars, targetVars(bp, ctx.target))
    const { exitCode } = await invoke(bp, 'build', ctx, [map(bpLayersDir), map(ctx.platformDir), map(planPath)], vars, false)
    if (exitCode !== 0) throw new BuildpackError(bp.id, 'build', exitCode)
  } finally {
    await rm(planDir, { recursive: true, force: true })
  }
  try {
    return await readResults(bp, bpLayersDir, ctx.plan)
  } catch (err) {
    if (err instanceof BuildpackFileError) throw err.withBuildpack(bp.id)
    throw err
  }
}
