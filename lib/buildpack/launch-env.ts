// The launch environment of the image: env ops and profile.d scripts from launch layers, in launcher order.
import { join } from 'node:path'
import { escapeId } from './descriptor.js'
import { listDirs, listFiles } from './dir-list.js'
import { readEnvDir, rootDirOps, type EnvOp, type PathMapper } from './env-files.js'
import { readLayersDir, type LayerInfo } from './layer-metadata.js'

/** Inputs of launchEnvOps. */
export interface LaunchEnvOptions {
  /** Host path of `<layers>`. */
  layersDir: string
  /** The build group, in order. */
  group: readonly { id: string }[]
  /**
   * Process type whose `env.launch/<type>/` also applies. Omitted → the ops of every
   * `env.launch/<type>/` are included, each tagged with `process: <type>`.
   */
  processType?: string
  /** Maps host paths to in-image paths (e.g. host layers dir → /layers). */
  toImagePath?: PathMapper
  /** Which layers count; default: launch=true layers whose directory exists. */
  includeLayer?: (layer: LayerInfo) => boolean
}

async function launchLayers(o: LaunchEnvOptions, id: string): Promise<LayerInfo[]> {
  const include = o.includeLayer ?? ((l: LayerInfo) => l.types.launch && l.hasDir)
  return (await readLayersDir(join(o.layersDir, escapeId(id)))).filter(include)
}

/**
 * Returns, as data, the ordered env operations the launcher performs (cnb-spec.md §3.4): per
 * buildpack in group order, first the root dirs of all its layers (bin → PATH, lib →
 * LD_LIBRARY_PATH, ':'), then per layer `env/`, `env.launch/`, `env.launch/<type>/` (no suffix =
 * override). Filtering the all-types result to ops without `process` or with `process === t` gives
 * exactly the result for `processType: t`. Computed from the files on disk at export time.
 */
export async function launchEnvOps(o: LaunchEnvOptions): Promise<EnvOp[]> {
  const ops: EnvOp[] = []
  for (const bp of o.group) {
    const layers = await launchLayers(o, bp.id)
    for (const l of layers) ops.push(...(await rootDirOps(l.dir, 'launch', o.toImagePath)))
    for (const l of layers) {
      ops.push(...(await readEnvDir(join(l.dir, 'env'), { defaultSuffix: 'override' })))
      ops.push(...(await readEnvDir(join(l.dir, 'env.launch'), { defaultSuffix: 'override' })))
      const types = o.processType !== undefined ? [o.processType] : await listDirs(join(l.dir, 'env.launch'))
      for (const type of types) {
        const procOps = await readEnvDir(join(l.dir, 'env.launch', type), { defaultSuffix: 'override' })
        ops.push(...(o.processType !== undefined ? procOps : procOps.map((op) => ({ ...op, process: type }))))
      }
    }
  }
  return ops
}

/** A profile.d script the launcher sources (shell processes only), optionally for one process type. */
export interface ProfileScript {
  /** In-image path (through toImagePath). */
  path: string
  process?: string
}

/**
 * Returns the profile.d scripts in the order the launcher sources them: buildpacks in group order,
 * layers ascending, per layer `profile.d/*` then every `profile.d/<type>/*` (tagged), files ascending.
 * The app's `.profile` is not included (the launcher adds it last).
 */
export async function launchProfileScripts(o: Omit<LaunchEnvOptions, 'processType'>): Promise<ProfileScript[]> {
  const map = o.toImagePath ?? ((p: string) => p)
  const files = async (dir: string): Promise<string[]> => (await listFiles(dir)).map((n) => join(dir, n))
  const out: ProfileScript[] = []
  for (const bp of o.group) {
    for (const l of await launchLayers(o, bp.id)) {
      const base = join(l.dir, 'profile.d')
      for (const f of await files(base)) out.push({ path: map(f) })
      for (const type of await listDirs(base)) {
        for (const f of await files(join(base, type))) out.push({ path: map(f), process: type })
      }
    }
  }
  return out
}
