// The export phase: the app image on the run image, in the lifecycle's layer order, with its labels.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { apiAtLeast, PLATFORM_API } from '../api-version.js'
import { isDir } from '../fs-checks.js'
import { escapeId, launchEnvOps, type BuildpackDescriptor, type EnvOp } from '../buildpack/index.js'
import { appendLayers, withConfig, type Addendum, type Image } from '../image/index.js'
import { layerFromDirectory, layerFromEntries } from '../layer/index.js'
import type { ContainerConfig, History } from '../oci/index.js'
import {
  buildMetadataFromToml, encodeBuildMetadata, encodeLifecycleMetadata, encodeProjectMetadata, LABELS, stringifyMetadataToml,
  type BuildMetadataToml, type CacheMetadata, type LauncherMetadata, type LayersMetadata, type ProjectMetadata,
} from '../platform/index.js'
import { appLayers } from './app-layers.js'
import type { Built } from './build-phase.js'
import { CNB_PATHS } from './build-context.js'
import { buildpackLayers, type BuildpackLayersInput } from './buildpack-layers.js'
import type { CacheEntry, StashEntry } from '../cache/index.js'
import { PhaseError } from './errors.js'
import {
  bakedConfig, LAUNCH_CONFIG_FILE, LAUNCHER_PATH, launchConfigScript, launcherScript, PROCESS_DIR, type LaunchProcess,
} from '../launch/index.js'
import type { BuildDirs } from './workspace.js'
import { definedOnly } from '../defined.js'

/** Inputs of exportImage. */
export interface ExportInput extends Omit<BuildpackLayersInput, 'storeDir'> {
  group: readonly BuildpackDescriptor[]
  dirs: BuildDirs
  runImage: Image
  runReference: string
  runName: string
  runMirrors: string[]
  launcher: 'sh' | 'none'
  /** Process type for the entrypoint (CNB_PROCESS_TYPE); default: the buildpacks' default. */
  processType?: string
  created: Date
  project?: ProjectMetadata
  storeDir: string
  /** With `launcher: 'none'`: the launch env of the default process, computed from the layers on disk. */
  bakedEnvOps?: EnvOp[]
}

/** The image to publish, plus what the cache should hold next. */
export interface Exported {
  image: Image
  metadata: LayersMetadata
  cacheEntries: CacheEntry[]
  cacheMetadata: CacheMetadata
  reused: string[]
  /** Cached layer dirs and their diffIDs (see LayerStash). */
  stashable: StashEntry[]
  warnings: string[]
}

/** The build metadata label's launcher entry: ours, the POSIX-sh launcher. */
const LAUNCHER: LauncherMetadata = { version: '0.1.0', source: { git: { repository: 'github.com/lading/lading', commit: '' } } }

/**
 * Builds the app image on the run image, in the lifecycle's layer order (cnb-spec.md §4.1):
 * buildpack launch layers, SBOM, app, launcher, config, process types; then config Env,
 * Entrypoint, WorkingDir and the io.buildpacks labels (§4.3, §4.4). Nothing is pushed here.
 */
export async function exportImage(input: ExportInput): Promise<Exported> {
  await checkRunImage(input.runImage, input.runReference)
  // Checked first: the launch config and the (lazy) image config both assume the type exists.
  if (input.processType && !input.built.processes.some((p) => p.type === input.processType)) {
    throw new PhaseError('export', 'EXPORT_UNKNOWN_PROCESS', `process type ${JSON.stringify(input.processType)} does not exist (have: ${input.built.processes.map((p) => p.type).join(', ') || 'none'})`)
  }
  const own = { uid: input.uid, gid: input.gid, storeDir: input.storeDir }
  if (input.launcher === 'none') {
    const type = input.processType ?? input.built.defaultType
    // No shell at launch: the env is applied now, from the layers on disk (a layer reused by
    // metadata only has no files here, so its env files cannot be baked).
    input = { ...input, bakedEnvOps: await launchEnvOps(definedOnly({
      layersDir: input.dirs.layers, group: input.group, processType: type || undefined,
      toImagePath: (p: string) => p.startsWith(input.dirs.layers) ? CNB_PATHS.layers + p.slice(input.dirs.layers.length) : p,
    })) }
  }
  const bpl = await buildpackLayers({ ...input, storeDir: input.storeDir })
  const md = await writeLaunchConfig(input)
  const adds: Addendum[] = [...bpl.adds]
  const meta: LayersMetadata = {
    app: [], buildpacks: bpl.buildpacks,
    runImage: { topLayer: await topLayer(input.runImage), reference: input.runReference, image: input.runName, mirrors: input.runMirrors },
  }
  const sbomDir = join(input.dirs.layers, 'sbom', 'launch')
  if (await isDir(sbomDir)) {
    const l = await layerFromDirectory(sbomDir, { ...own, target: `${CNB_PATHS.layers}/sbom/launch`, parentUid: input.uid, parentGid: input.gid })
    adds.push({ layer: l, history: { created_by: 'Software Bill-of-Materials' } })
    meta.sbom = { sha: l.diffIdValue }
  }
  const cacheEntries = [...bpl.cacheEntries]
  const cacheMetadata: CacheMetadata = { ...bpl.cacheMetadata }
  const sbomCacheDir = join(input.dirs.layers, 'sbom', 'cache')
  if (input.cache && await isDir(sbomCacheDir)) {
    // Cached layers' SBOMs travel with the cache as one layer, so a kept layer keeps its SBOM.
    const l = await layerFromDirectory(sbomCacheDir, { ...own, target: `${CNB_PATHS.layers}/sbom/cache`, parentUid: input.uid, parentGid: input.gid })
    const kept = input.oldCache.sbom?.sha === l.diffIdValue ? await input.cache.reuse(l.diffIdValue) : undefined
    cacheEntries.push({ layer: kept ?? l })
    cacheMetadata.sbom = { sha: l.diffIdValue }
  }
  const prevApp = new Set(input.previous?.metadata.app.map((a) => a.sha) ?? [])
  for (const a of await appLayers(input.dirs.workspace, input.built.slices, own)) {
    const sha = a.layer.diffIdValue
    const layer = prevApp.has(sha) && input.previous ? await input.previous.image.layerByDiffId(sha) : a.layer
    adds.push({ layer, history: { created_by: a.createdBy } })
    meta.app.push({ sha })
  }
  if (input.launcher === 'sh') {
    const l = await layerFromEntries([{ path: LAUNCHER_PATH, type: 'file', mode: 0o755, content: launcherScript() }], { uid: 0, gid: 0, storeDir: input.storeDir })
    adds.push({ layer: l, history: { created_by: 'Buildpacks Application Launcher' } })
    meta.launcher = { sha: l.diffIdValue }
  }
  const cfg = await layerFromDirectory(join(input.dirs.layers, 'config'), { ...own, target: `${CNB_PATHS.layers}/config`, parentUid: input.uid, parentGid: input.gid })
  adds.push({ layer: cfg, history: { created_by: 'Buildpacks Launcher Config' } })
  meta.config = { sha: cfg.diffIdValue }
  if (input.launcher === 'sh' && input.built.processes.length > 0) {
    const entries = input.built.processes.map((p) => ({ path: `${PROCESS_DIR}/${p.type}`, type: 'symlink' as const, linkname: LAUNCHER_PATH, mode: 0o755 }))
    const l = await layerFromEntries(entries, { uid: 0, gid: 0, storeDir: input.storeDir })
    adds.push({ layer: l, history: { created_by: 'Buildpacks Process Types' } })
    meta.processTypes = { sha: l.diffIdValue }
  }
  const labels: Record<string, string> = {
    [LABELS.LIFECYCLE_METADATA]: encodeLifecycleMetadata(meta),
    [LABELS.BUILD_METADATA]: encodeBuildMetadata(buildMetadataFromToml(md, LAUNCHER)),
    [LABELS.PROJECT_METADATA]: encodeProjectMetadata(input.project),
  }
  for (const l of input.built.labels) labels[l.key] = l.value
  // RFC 3339 without fractional seconds, as the lifecycle writes it.
  const created = input.created.toISOString().replace(/\.\d{3}Z$/, 'Z')
  const image = withConfig(appendLayers(input.runImage, ...adds), (c) => ({
    ...c,
    created,
    history: normalizedHistory(c.history ?? [], c.rootfs.diff_ids.length, created),
    config: containerConfig(c.config ?? {}, input, labels),
  }))
  return { image, metadata: meta, cacheEntries, cacheMetadata, reused: bpl.reused, stashable: bpl.stashable, warnings: [...input.built.warnings, ...bpl.warnings] }
}

function containerConfig(run: ContainerConfig, input: ExportInput, labels: Record<string, string>): ContainerConfig {
  const env = new Map((run.Env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)] as const))
  const type = input.processType ?? input.built.defaultType
  const out: ContainerConfig = { ...run, Labels: { ...run.Labels, ...labels }, WorkingDir: CNB_PATHS.workspace, Cmd: null }
  if (input.launcher === 'none') {
    const baked = bakedConfig(definedOnly({ processes: input.built.processes.map(launchProcess), defaultType: type || undefined, envOps: input.bakedEnvOps ?? [], appDir: CNB_PATHS.workspace, baseEnv: run.Env ?? [] }))
    return { ...out, Entrypoint: baked.Entrypoint, Cmd: baked.Cmd, Env: baked.Env, WorkingDir: baked.WorkingDir }
  }
  env.set('CNB_LAYERS_DIR', CNB_PATHS.layers)
  env.set('CNB_APP_DIR', CNB_PATHS.workspace)
  env.set('CNB_PLATFORM_API', PLATFORM_API)
  env.set('CNB_DEPRECATION_MODE', 'quiet')
  env.set('PATH', `${PROCESS_DIR}:/cnb/lifecycle${env.get('PATH') ? `:${env.get('PATH')}` : ''}`)
  return { ...out, Env: [...env].map(([k, v]) => `${k}=${v}`), Entrypoint: [type ? `${PROCESS_DIR}/${type}` : LAUNCHER_PATH] }
}

function launchProcess(p: Built['processes'][number]): LaunchProcess {
  return definedOnly({
    type: p.type, command: p.command, args: p.args, direct: p.direct, workingDir: p.workingDir || undefined,
    // Buildpack API < 0.9: user-given args are appended to the process's own.
    appendArgs: apiAtLeast(p.buildpackApi, '0.9') ? undefined : true,
  })
}

/** Writes <layers>/config/metadata.toml (for the Go launcher and tools) and launch.sh (for ours). */
async function writeLaunchConfig(input: ExportInput): Promise<BuildMetadataToml> {
  const dir = join(input.dirs.layers, 'config')
  await mkdir(dir, { recursive: true })
  const md: BuildMetadataToml = {
    buildpacks: input.group.map((b) => definedOnly({ id: b.id, version: b.version, api: b.api, homepage: b.homepage || undefined })),
    processes: input.built.processes.map((p) => definedOnly({ type: p.type, command: p.command, args: p.args, direct: p.direct, buildpackId: p.buildpackId, workingDir: p.workingDir || undefined })),
    labels: input.built.labels, slices: input.built.slices,
  }
  if (input.built.defaultType) md.buildpackDefaultProcessType = input.built.defaultType
  await writeFile(join(dir, 'metadata.toml'), stringifyMetadataToml(md))
  const buildpacks = input.built.outcomes.map(({ bp, outcome }) => ({
    id: bp.id,
    layers: outcome.layers.filter((l) => l.types.launch).map((l) => `${CNB_PATHS.layers}/${escapeId(bp.id)}/${l.name}`),
  }))
  const script = launchConfigScript(definedOnly({
    processes: input.built.processes.map(launchProcess), buildpacks, appDir: CNB_PATHS.workspace,
    defaultType: (input.processType ?? input.built.defaultType) || undefined,
  }))
  await writeFile(join(dir, LAUNCH_CONFIG_FILE), script)
  return md
}

/**
 * History as imgutil saves it: empty-layer entries dropped, every `created` set to the build
 * time, and blank entries when what is left does not pair with the layers.
 */
function normalizedHistory(history: readonly History[], layers: number, created: string): History[] {
  const kept = history.filter((h) => !h.empty_layer).map((h) => ({ ...h, created }))
  return kept.length === layers ? kept : Array.from({ length: layers }, () => ({ created }))
}

/**
 * Refuses a run image whose config does not describe its manifest (cnb-spec.md §4: the app's
 * metadata records the run image's top layer by diff_id, and rebase trusts that record): as many
 * diff_ids as layers, each a sha256 digest, so the recorded top layer is the manifest's top layer.
 */
export async function checkRunImage(run: Image, name: string): Promise<void> {
  const layers = (await run.manifest()).layers ?? []
  const ids = (await run.config()).rootfs?.diff_ids ?? []
  const bad = (why: string): PhaseError => new PhaseError('export', 'EXPORT_RUN_IMAGE_INVALID', `run image ${name} is invalid: ${why}; refusing to export on it`)
  if (ids.length !== layers.length) throw bad(`its config lists ${ids.length} diff_ids for ${layers.length} manifest layers`)
  const wrong = ids.findIndex((d) => typeof d !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(d))
  if (wrong >= 0) throw bad(`diff_ids[${wrong}] is not a sha256 digest (${JSON.stringify(ids[wrong])})`)
}

async function topLayer(run: Image): Promise<string> {
  const ids = (await run.config()).rootfs.diff_ids
  return ids[ids.length - 1] ?? ''
}
