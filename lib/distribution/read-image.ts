/** Reading a builder or buildpackage image (cnb-spec.md §8.3): its labels, its order (label, else
 * /cnb/order.toml), and which manifest layer holds a buildpack (layerDiffID → the index in
 * config.rootfs.diff_ids → manifest layers[i]). Nothing but the manifest and config is read here.
 */
import type { Readable } from 'node:stream'
import tarStream from 'tar-stream'
import type { Image, Layer } from '../image/index.js'
import { readAll, type ImageConfig } from '../oci/index.js'
import { compareSemver } from '../buildpack/index.js'
import { parseOrder } from '../platform/index.js'
import { DistributionError } from './errors.js'
import {
  readBuilderMetadata, readBuildpackageMetadata, readModuleLayers, readOrderLabel, LABELS,
  type BuilderMetadata, type BuildpackageMetadata, type ModuleLayerInfo, type ModuleLayers, type OrderGroupJson,
} from './labels.js'
import { definedOnly } from '../defined.js'

/** A builder or buildpackage, read from its config. */
export interface DistributionImage {
  /** How the user named it (for messages). */
  what: string
  image: Image
  config: ImageConfig
  labels: Record<string, string>
  layers: ModuleLayers
  builder?: BuilderMetadata
  package?: BuildpackageMetadata
  /** The order label, if any. */
  order?: OrderGroupJson[]
}

/** Reads the labels; `kind` says which ones must be there. */
export async function readDistributionImage(image: Image, what: string, kind: 'builder' | 'buildpackage'): Promise<DistributionImage> {
  const config = await image.config()
  const labels = config.config?.Labels ?? {}
  const layers = readModuleLayers(labels, what)
  const builder = readBuilderMetadata(labels, what)
  const pkg = readBuildpackageMetadata(labels, what)
  const order = readOrderLabel(labels, what)
  if (kind === 'builder' && (!layers || (!builder && !order))) {
    throw new DistributionError('NOT_A_BUILDER', what,
      `not a builder: it lacks the ${!layers ? LABELS.buildpackLayers : LABELS.builderMetadata} label (make one with 'lading builder create' or 'pack builder create')`)
  }
  if (kind === 'buildpackage' && (!layers || !pkg)) {
    throw new DistributionError('NOT_A_BUILDPACKAGE', what,
      `not a buildpackage: it lacks the ${!layers ? LABELS.buildpackLayers : LABELS.buildpackageMetadata} label (make one with 'lading buildpack package')`)
  }
  return definedOnly({ what, image, config, labels, layers: layers ?? {}, builder, package: pkg, order })
}

/** The manifest layer whose diffID is `diffId`; throws naming the image when the config lacks it. */
export async function layerByDiffId(d: DistributionImage, diffId: string, forWhat: string): Promise<Layer> {
  const i = d.config.rootfs.diff_ids.indexOf(diffId as never)
  if (i < 0) throw new DistributionError('LAYER_MISSING', d.what, `${forWhat} names layer ${diffId}, which is not in the image's rootfs.diff_ids`)
  return (await d.image.layers())[i]!
}

/** The version of `id` in the layers label that `version` selects (exact, or the only / highest one). */
export function pickVersion(layers: ModuleLayers, id: string, version: string | undefined): string | undefined {
  const versions = Object.keys(layers[id] ?? {})
  if (version) return versions.includes(version) ? version : undefined
  if (versions.length <= 1) return versions[0]
  return [...versions].sort((a, b) => compareSemver(a, b) ?? (a < b ? -1 : 1)).at(-1)
}

/** A buildpack the order reaches, with its layer info. */
export interface ReachedModule { id: string; version: string; info: ModuleLayerInfo }

/**
 * Every buildpack `order` reaches, through composites' orders, each once. Throws when the order
 * names a buildpack the layers label lacks (naming it and where it was asked for) or when
 * composites form a cycle.
 */
export function resolveOrder(layers: ModuleLayers, order: readonly OrderGroupJson[], what: string): ReachedModule[] {
  const out = new Map<string, ReachedModule>()
  const visit = (entries: readonly OrderGroupJson[], path: string[]): void => {
    for (const g of entries) {
      for (const e of g.group) {
        const version = pickVersion(layers, e.id, e.version)
        const key = `${e.id}@${version}`
        if (!version) {
          const have = Object.entries(layers).flatMap(([id, vs]) => Object.keys(vs).map((v) => `${id}@${v}`))
          throw new DistributionError('ORDER_MISSING_BUILDPACK', what,
            `the order${path.length ? ` of ${path.at(-1)}` : ''} names ${e.id}${e.version ? `@${e.version}` : ''}, which none of its layers holds (it has: ${have.join(', ') || 'none'})`)
        }
        if (path.includes(key)) throw new DistributionError('CYCLE', what, `composite buildpacks form a cycle: ${[...path.slice(path.indexOf(key)), key].join(' -> ')}`)
        const info = layers[e.id]![version]!
        if (!out.has(key)) out.set(key, { id: e.id, version, info })
        if (info.order?.length) visit(info.order, [...path, key])
      }
    }
  }
  visit(order, [])
  return [...out.values()]
}

/** The order a builder detects with: its label, else /cnb/order.toml from its layers. */
export async function builderOrder(d: DistributionImage): Promise<OrderGroupJson[]> {
  if (d.order?.length) return d.order
  const text = await findFileInLayers(d, 'cnb/order.toml')
  if (text === undefined) throw new DistributionError('NO_ORDER', d.what, `has neither the ${LABELS.buildpackOrder} label nor /cnb/order.toml`)
  return parseOrder(text, `${d.what}:/cnb/order.toml`).order
}

/** The newest version of a file in the image's non-buildpack layers (top down), or undefined. */
export async function findFileInLayers(d: DistributionImage, path: string): Promise<string | undefined> {
  const bpDiffIds = new Set(Object.values(d.layers).flatMap((vs) => Object.values(vs).map((i) => i.layerDiffID)))
  const layers = await d.image.layers()
  for (let i = layers.length - 1; i >= 0; i--) {
    if (bpDiffIds.has(d.config.rootfs.diff_ids[i]!)) continue
    const found = await fileInTar(layers[i]!, path)
    if (found !== undefined) return found
  }
  return undefined
}

async function fileInTar(layer: Layer, path: string): Promise<string | undefined> {
  const extract = tarStream.extract()
  const body = await layer.uncompressed()
  body.pipe(extract)
  let found: string | undefined
  try {
    for await (const entry of extract) {
      if (entry.header.name.replace(/^\.?\//, '') === path && entry.header.type === 'file') found = (await readAll(entry as unknown as Readable)).toString('utf8')
      else entry.resume()
    }
  } finally {
    body.destroy()
  }
  return found
}
