/** Where buildpacks for a builder or buildpackage come from: a directory (one new layer), or a
 * buildpackage — an image (`docker://REF` or a plain reference) or a `.cnb` file — whose layers
 * are reused as they are, so a buildpack unchanged keeps its layer digest and can be mounted.
 */
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { checkBuildpackApi } from '../api-version.js'
import type { Image, Layer } from '../image/index.js'
import { DistributionError } from './errors.js'
import type { ModuleInfo, ModuleLayerInfo, ModuleLayers } from './labels.js'
import { moduleLayerFromDir } from './module-layer.js'
import { layerByDiffId, readDistributionImage, type DistributionImage } from './read-image.js'
import { definedOnly } from '../defined.js'

/** Buildpacks from one source: the label entries, each layer by diffID, and the one the source is about. */
export interface ModuleSet {
  source: string
  /** The buildpack the source names (a buildpackage's entrypoint, or the directory's buildpack). */
  top: ModuleInfo
  layers: ModuleLayers
  byDiffId: Map<string, Layer>
  infos: ModuleInfo[]
}

/** Opens an image by reference (registry or layout), for `docker://` and plain references. */
export type ImageOpener = (ref: string) => Promise<Image>
/** Opens a `.cnb` file as an image. */
export type CnbOpener = (file: string) => Promise<Image>

/** How sources are read: images, .cnb files, and where new layers are written. */
export interface SourceContext { openImage: ImageOpener; openCnb: CnbOpener; storeDir: string }

/** A buildpackage image as a ModuleSet (every buildpack it holds). */
export async function moduleSetFromPackage(d: DistributionImage): Promise<ModuleSet> {
  const byDiffId = new Map<string, Layer>()
  const infos: ModuleInfo[] = []
  for (const [id, versions] of Object.entries(d.layers)) {
    for (const [version, info] of Object.entries(versions)) {
      checkBuildpackApi(info.api, `${d.what}: buildpack ${id}@${version}`)
      if (!byDiffId.has(info.layerDiffID)) byDiffId.set(info.layerDiffID, await layerByDiffId(d, info.layerDiffID, `buildpack ${id}@${version}`))
      infos.push(definedOnly({ id, version, homepage: info.homepage || undefined, name: info.name || undefined }))
    }
  }
  const top = d.package ? definedOnly({ id: d.package.id, version: d.package.version, homepage: d.package.homepage || undefined }) : infos[0]!
  return { source: d.what, top, layers: d.layers, byDiffId, infos }
}

/** Reads the buildpacks `uri` names (a resolved uri from builder.toml, package.toml or --buildpack). */
export async function readModuleSource(uri: string, ctx: SourceContext, what: string): Promise<ModuleSet> {
  if (uri.startsWith('docker://') || !uri.startsWith('/')) {
    const ref = uri.replace(/^docker:\/\//, '')
    const d = await readDistributionImage(await ctx.openImage(ref), ref, 'buildpackage')
    return moduleSetFromPackage(d)
  }
  const st = await stat(uri).catch(() => undefined)
  if (!st) throw new DistributionError('NOT_A_BUILDPACK', what, `${uri} does not exist`)
  if (st.isFile()) {
    const d = await readDistributionImage(await ctx.openCnb(uri), uri, 'buildpackage')
    return moduleSetFromPackage(d)
  }
  if (!(await stat(join(uri, 'buildpack.toml')).catch(() => undefined))) {
    throw new DistributionError('NOT_A_BUILDPACK', what, `${uri} is not a buildpack: it has no buildpack.toml`)
  }
  const m = await moduleLayerFromDir(uri, ctx.storeDir)
  const entry: ModuleLayerInfo = m.entry
  return {
    source: uri, top: m.info, layers: { [m.info.id]: { [m.info.version]: entry } },
    byDiffId: new Map([[entry.layerDiffID, m.layer]]), infos: [m.info],
  }
}
