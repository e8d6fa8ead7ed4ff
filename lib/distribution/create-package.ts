/** `buildpack package`: a buildpackage image from package.toml as pack makes it — one layer per
 * buildpack (dependencies first, then the buildpack itself), labels
 * `io.buildpacks.buildpackage.metadata` and `io.buildpacks.buildpack.layers`, a fixed creation
 * time, so the same inputs give the same digest.
 */
import { hostPlatform } from '../oci/index.js'
import { imageFromParts, type Image, type Layer } from '../image/index.js'
import type { PackageToml } from './config-files.js'
import { LABELS, mergeModuleLayers, type ModuleLayers } from './labels.js'
import { resolveOrder } from './read-image.js'
import { readModuleSource, type ModuleSet, type SourceContext } from './sources.js'
import { definedOnly } from '../defined.js'

/** The creation time pack writes into builders and buildpackages. */
export const CREATED = '1980-01-01T00:00:01Z'

/** Layers of several module sets, each diffID once, in first-seen order. */
export function collectLayers(sets: readonly ModuleSet[]): { layers: ModuleLayers; list: Layer[] } {
  const layers: ModuleLayers = {}
  const seen = new Map<string, Layer>()
  for (const s of sets) {
    mergeModuleLayers(layers, s.layers)
    for (const [diffId, layer] of s.byDiffId) if (!seen.has(diffId)) seen.set(diffId, layer)
  }
  return { layers, list: [...seen.values()] }
}

/** Builds the buildpackage image package.toml describes (nothing is pushed here). */
export async function createBuildpackage(cfg: PackageToml, ctx: SourceContext): Promise<{ image: Image; top: ModuleSet['top'] }> {
  const main = await readModuleSource(cfg.buildpack.uri, ctx, `${cfg.file} [buildpack] uri`)
  const deps: ModuleSet[] = []
  for (const [i, d] of cfg.dependencies.entries()) deps.push(await readModuleSource(d.uri, ctx, `${cfg.file} dependencies[${i}]`))
  const { layers, list } = collectLayers([...deps, main])
  // The entrypoint and, for a composite, everything its order reaches must be in the package.
  resolveOrder(layers, [{ group: [{ id: main.top.id, version: main.top.version }] }], cfg.file)
  const top = main.top
  const metadata = definedOnly({ id: top.id, version: top.version, homepage: top.homepage || undefined, stacks: stacksOf(layers, top.id, top.version) })
  const image = imageFromParts({
    platform: { os: cfg.os, architecture: hostPlatform().architecture },
    created: CREATED,
    config: { Labels: { [LABELS.buildpackageMetadata]: JSON.stringify(metadata), [LABELS.buildpackLayers]: JSON.stringify(sortLayers(layers)) } },
    layers: list,
  })
  return { image, top }
}

/** The stacks of a buildpack (legacy), as pack copies them into the package metadata. */
function stacksOf(layers: ModuleLayers, id: string, version: string): { id: string }[] {
  return (layers[id]?.[version]?.stacks ?? []).map((s) => ({ id: s.id }))
}

/** The layers label with ids and versions in sorted order, so equal inputs give equal bytes. */
export function sortLayers(layers: ModuleLayers): ModuleLayers {
  const out: ModuleLayers = {}
  for (const id of Object.keys(layers).sort()) {
    out[id] = {}
    for (const v of Object.keys(layers[id]!).sort()) out[id]![v] = layers[id]![v]!
  }
  return out
}
