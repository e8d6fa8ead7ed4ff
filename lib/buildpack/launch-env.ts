import { join } from 'node:path'
import { escapeId } from './descriptor.js'
import { readEnvDir, rootDirOps, type EnvOp, type PathMapper } from './env-files.js'
import { readLayersDir, type LayerInfo } from './layer-metadata.js'

/** Inputs of launchEnvOps. */
export interface LaunchEnvOptions {
  /** Host path of `<layers>`. */
  layersDir: string
  /** The build group, in order. */
  group: readonly { id: string }[]
  /** Process type whose `env.launch/<type>/` also applies; omitted → none. */
  processType?: string
  /** Maps host paths to in-image paths (e.g. host layers dir → /layers). */
  toImagePath?: PathMapper
  /** Which layers count; default: launch=true layers whose directory exists. */
  includeLayer?: (layer: LayerInfo) => boolean
}

/**
 * Returns, as data, the ordered env operations the launcher performs for one process type
 * (cnb-spec.md §3.4): per buildpack in group order, first the root dirs of all its layers (bin →
 * PATH, lib → LD_LIBRARY_PATH, ':'), then per layer `env/`, `env.launch/`, `env.launch/<type>/`
 * (no suffix = override). Computed from the files on disk at export time.
 */
export async function launchEnvOps(o: LaunchEnvOptions): Promise<EnvOp[]> {
  const include = o.includeLayer ?? ((l: LayerInfo) => l.types.launch && l.hasDir)
  const ops: EnvOp[] = []
  for (const bp of o.group) {
    const layers = (await readLayersDir(join(o.layersDir, escapeId(bp.id)))).filter(include)
    for (const l of layers) ops.push(...(await rootDirOps(l.dir, 'launch', o.toImagePath)))
    for (const l of layers) {
      ops.push(...(await readEnvDir(join(l.dir, 'env'), { defaultSuffix: 'override' })))
      ops.push(...(await readEnvDir(join(l.dir, 'env.launch'), { defaultSuffix: 'override' })))
      if (o.processType) {
        ops.push(...(await readEnvDir(join(l.dir, 'env.launch', o.processType), { defaultSuffix: 'override' })))
      }
    }
  }
  return ops
}
