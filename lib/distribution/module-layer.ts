/** One buildpack as one layer, the way pack lays it out (cnb-spec.md §8.1): entries under
 * /cnb/buildpacks/<escaped-id>/<version>/ with explicit parent directories, mtime
 * 1980-01-01T00:00:01Z, uid/gid 0, and pack's modes: directories, bin/build, bin/detect,
 * bin/generate and anything with an exec bit 0755, everything else 0644.
 */
import { readFile, readlink } from 'node:fs/promises'
import { checkBuildpackApi } from '../api-version.js'
import { escapeId, readBuildpackDescriptor, type BuildpackDescriptor } from '../buildpack/index.js'
import { layerFromEntries, walkDirectory, type StoredLayer, type TarEntry } from '../layer/index.js'
import type { ModuleInfo, ModuleLayerInfo, OrderGroupJson, TargetJson } from './labels.js'
import { definedOnly } from '../defined.js'

const BUILDPACKS_DIR = '/cnb/buildpacks'
const EXEC_NAMES = new Set(['bin/build', 'bin/detect', 'bin/generate'])

/** A buildpack ready to go into an image: its layer and what the labels say about it. */
export interface ModuleLayer {
  info: ModuleInfo
  entry: ModuleLayerInfo
  layer: StoredLayer
}

/** The layers-label entry for a buildpack.toml (api, targets or stacks, order, homepage, name). */
export function layerInfoFor(d: BuildpackDescriptor, diffId: string): ModuleLayerInfo {
  const out: ModuleLayerInfo = { api: d.api, layerDiffID: diffId }
  if (d.stacks.length) out.stacks = d.stacks.map((s) => definedOnly({ id: s.id, mixins: s.mixins.length ? s.mixins : undefined }))
  if (d.declaredTargets.length) out.targets = d.declaredTargets.map(targetJson)
  if (d.order.length) out.order = orderJson(d.order)
  if (d.homepage) out.homepage = d.homepage
  if (d.name) out.name = d.name
  return out
}

function targetJson(t: BuildpackDescriptor['declaredTargets'][number]): TargetJson {
  return definedOnly({
    os: t.os || undefined, arch: t.arch || undefined, variant: t.variant || undefined,
    distros: t.distros.length ? t.distros.map((d) => definedOnly({ name: d.name ?? '', version: d.version || undefined })) : undefined,
  })
}

/** A descriptor's order in the label's JSON form. */
export function orderJson(order: BuildpackDescriptor['order']): OrderGroupJson[] {
  return order.map((g) => ({ group: g.group.map((e) => definedOnly({ id: e.id, version: e.version || undefined, optional: e.optional || undefined })) }))
}

/** Module info for lists (builder metadata `buildpacks`). */
export function moduleInfo(d: BuildpackDescriptor): ModuleInfo {
  return definedOnly({ id: d.id, version: d.version, homepage: d.homepage || undefined, name: d.name || undefined })
}

/**
 * Reads the buildpack in `dir` (buildpack.toml checked, its API supported) and writes its layer
 * into `storeDir`. The same directory contents always give the same diffID and digest.
 */
export async function moduleLayerFromDir(dir: string, storeDir: string): Promise<ModuleLayer & { descriptor: BuildpackDescriptor }> {
  const d = await readBuildpackDescriptor(dir)
  checkBuildpackApi(d.api, `${dir}/buildpack.toml`)
  const base = `${BUILDPACKS_DIR}/${escapeId(d.id)}/${d.version}`
  const entries: TarEntry[] = [
    { path: `${BUILDPACKS_DIR}/${escapeId(d.id)}`, type: 'directory', mode: 0o755 },
    { path: base, type: 'directory', mode: 0o755 },
  ]
  for await (const e of walkDirectory(dir)) {
    const path = `${base}/${e.relPath}`
    const st = e.stats
    if (st.isDirectory()) entries.push({ path, type: 'directory', mode: 0o755 })
    else if (st.isSymbolicLink()) entries.push({ path, type: 'symlink', linkname: await readlink(e.absPath) })
    else if (st.isFile()) {
      const exec = EXEC_NAMES.has(e.relPath) || (Number(st.mode) & 0o111) !== 0
      entries.push({ path, type: 'file', mode: exec ? 0o755 : 0o644, content: await readFile(e.absPath) })
    }
  }
  const layer = await layerFromEntries(entries, { storeDir, uid: 0, gid: 0 })
  return { info: moduleInfo(d), entry: layerInfoFor(d, layer.diffIdValue), layer, descriptor: d }
}
