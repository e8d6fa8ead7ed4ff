// The app layers of the exported image: one per launch.toml slice, then one with the rest of the app.
import { readdir, lstat } from 'node:fs/promises'
import { join } from 'node:path'
import picomatch from 'picomatch'
import type { SliceDef } from '../buildpack/index.js'
import { layerFromDirectory, type StoredLayer } from '../layer/index.js'
import { CNB_PATHS } from './build-context.js'
import { definedOnly } from '../defined.js'

/** One app layer and its history line. */
export interface AppLayer { layer: StoredLayer; createdBy: string }

/**
 * The app layers (cnb-spec.md §4.1 step 5): one per launch.toml slice, in order, each with the
 * files its globs match that no earlier slice took, then one layer with everything else. A slice
 * that matches nothing still gives a layer. Without slices: one "Application Layer".
 */
export async function appLayers(workspace: string, slices: readonly SliceDef[], o: { uid: number; gid: number; storeDir: string; mtime?: Date }): Promise<AppLayer[]> {
  const base = definedOnly({ target:
 CNB_PATHS.workspace, uid: o.uid, gid: o.gid, parentUid: o.uid, parentGid: o.gid, storeDir: o.storeDir, mtime: o.mtime })
  if (slices.length === 0) return [{ layer: await layerFromDirectory(workspace, base), createdBy: 'Application Layer' }]
  const files = await listFiles(workspace)
  const taken = new Set<string>()
  const out: AppLayer[] = []
  for (const [n, slice] of slices.entries()) {
    const match = picomatch(slice.paths.map((p) => p.replace(/^\.?\//, '')), { dot: true })
    const mine = new Set(files.filter((f) => !taken.has(f) && match(f)))
    for (const f of mine) taken.add(f)
    const keep = ancestorsOf(mine)
    const layer = await layerFromDirectory(workspace, { ...base, exclude: (rel) => !mine.has(rel) && !keep.has(rel) })
    out.push({ layer, createdBy: `Application Slice: ${n + 1}` })
  }
  const rest = await layerFromDirectory(workspace, { ...base, exclude: (rel) => taken.has(rel) })
  out.push({ layer: rest, createdBy: `Application Slice: ${slices.length + 1}` })
  return out
}

/** Every non-directory path under `root`, POSIX and relative. */
async function listFiles(root: string, rel = ''): Promise<string[]> {
  const out: string[] = []
  for (const name of (await readdir(join(root, rel))).sort()) {
    const r = rel ? `${rel}/${name}` : name
    const st = await lstat(join(root, r))
    if (st.isDirectory()) out.push(...await listFiles(root, r))
    else out.push(r)
  }
  return out
}

function ancestorsOf(paths: Iterable<string>): Set<string> {
  const out = new Set<string>()
  for (const p of paths) {
    const parts = p.split('/')
    for (let i = 1; i < parts.length; i++) out.add(parts.slice(0, i).join('/'))
  }
  return out
}
