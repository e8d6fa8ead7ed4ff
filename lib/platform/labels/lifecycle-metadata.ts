/** `io.buildpacks.lifecycle.metadata` (cnb-spec.md §4.4) and `io.buildpacks.lifecycle.cache.metadata`
 * (§5.3): typed values, an encoder that writes exactly the lifecycle's JSON shape and key order,
 * and lenient decoders that accept what lifecycle 0.17–0.21 wrote (`stack.runImage` fallback,
 * missing keys). Unknown keys are dropped on re-encode, as the Go struct round trip does.
 */
import { LABELS } from './names.js'
import { type JsonObject, LenientReader, parseLabelJson, sortedDeep } from './lenient.js'
import { definedOnly } from '../../defined.js'

/** A layer reference by uncompressed diffID (`sha256:<hex>`). */
export interface LayerRef {
  sha: string
}

/** One buildpack layer in the label: its diffID, `[metadata]` as `data`, and its types. */
export interface BuildpackLayerMetadata {
  sha: string
  /**
   * The layer's `[metadata]` table. Never omitted from the JSON (the lifecycle's `data` has no
   * omitempty): undefined (no `[metadata]` in the layer's toml) is written as `null`.
   */
  data?: unknown
  build: boolean
  launch: boolean
  cache: boolean
}

/** The store.toml contents of a buildpack (`{"metadata": {...}}`). */
export interface BuildpackStore {
  metadata: Record<string, unknown>
}

/** One group buildpack's layers (launch layers in the app label; cache layers in the cache label). */
export interface BuildpackLayersMetadata {
  key: string
  version: string
  layers: Record<string, BuildpackLayerMetadata>
  store?: BuildpackStore
}

/** The run image an app was built on: anchor diffID, digest reference, and the names to rebase from. */
export interface RunImageMetadata {
  topLayer: string
  reference: string
  image: string
  mirrors: string[]
}

/**
 * The decoded lifecycle metadata. `stack.runImage` is not kept separately: it is always the
 * same as `runImage.image`/`mirrors` (the encoder writes both; the decoder falls back to it).
 */
export interface LayersMetadata {
  app: LayerRef[]
  sbom?: LayerRef
  buildpacks: BuildpackLayersMetadata[]
  config?: LayerRef
  launcher?: LayerRef
  processTypes?: LayerRef
  runImage: RunImageMetadata
}

/** The cache image label: the SBOM cache layer and each buildpack's cached layers. */
export interface CacheMetadata {
  sbom?: LayerRef
  buildpacks: BuildpackLayersMetadata[]
}

/** A decoded label plus what was ignored or defaulted while decoding it. */
export interface Decoded<T> {
  value: T
  warnings: string[]
}

/** Returns an empty LayersMetadata (no previous image). */
export function emptyLayersMetadata(): LayersMetadata {
  return { app: [], buildpacks: [], runImage: { topLayer: '', reference: '', image: '', mirrors: [] } }
}

function encodeLayer(l: BuildpackLayerMetadata): JsonObject {
  const out: JsonObject = { sha: l.sha, data: l.data === undefined ? null : sortedDeep(l.data) }
  out['build'] = l.build
  out['launch'] = l.launch
  out['cache'] = l.cache
  return out
}

/** Returns the JSON-ready object for one buildpack entry (layers sorted by name, as Go maps are). */
export function encodeBuildpackLayers(b: BuildpackLayersMetadata): JsonObject {
  const layers: JsonObject = {}
  for (const name of Object.keys(b.layers).sort()) layers[name] = encodeLayer(b.layers[name]!)
  const out: JsonObject = { key: b.key, version: b.version, layers }
  if (b.store) out['store'] = { metadata: sortedDeep(b.store.metadata) }
  return out
}

/** `image` and `mirrors` as the lifecycle's RunImageForExport writes them: each omitted when empty. */
function runImageForExport(image: string, mirrors: readonly string[]): JsonObject {
  return definedOnly({ image: image || undefined, mirrors: mirrors.length ? [...mirrors] : undefined })
}

/**
 * Returns the label value (compact JSON) field for field as the lifecycle's exporter writes its
 * LayersMetadata: app, sbom (omitted when unset), buildpacks, then config, launcher and
 * process-types, always present (`{"sha":""}` when unset: they are not pointers there), runImage
 * {topLayer, reference, image?, mirrors?}, stack {runImage {image?, mirrors?}} (image and mirrors
 * omitted when empty). Layer `data` is `null` when a layer has no metadata.
 */
export function encodeLifecycleMetadata(md: LayersMetadata): string {
  const out: JsonObject = { app: md.app.map((a) => ({ sha: a.sha })) }
  if (md.sbom) out['sbom'] = { sha: md.sbom.sha }
  out['buildpacks'] = md.buildpacks.map(encodeBuildpackLayers)
  out['config'] = { sha: md.config?.sha ?? '' }
  out['launcher'] = { sha: md.launcher?.sha ?? '' }
  out['process-types'] = { sha: md.processTypes?.sha ?? '' }
  const r = md.runImage
  out['runImage'] = { topLayer: r.topLayer, reference: r.reference, ...runImageForExport(r.image, r.mirrors) }
  out['stack'] = { runImage: runImageForExport(r.image, r.mirrors) }
  return JSON.stringify(out)
}

function decodeRef(rd: LenientReader, v: unknown, path: string): LayerRef | undefined {
  const o = rd.obj(v, path)
  if (!o) return undefined
  const sha = rd.str(o['sha'], `${path}.sha`)
  return sha ? { sha } : undefined
}

/** Decodes one `buildpacks[]` entry; returns undefined (with a warning) when it is not an object. */
export function decodeBuildpackLayers(rd: LenientReader, v: unknown, path: string): BuildpackLayersMetadata | undefined {
  const o = rd.obj(v, path)
  if (!o) {
    if (v === null || v === undefined) rd.warnings.push(`${rd.label}: ${path} is empty; ignored`)
    return undefined
  }
  const layers: Record<string, BuildpackLayerMetadata> = {}
  const lo = rd.obj(o['layers'], `${path}.layers`) ?? {}
  for (const [name, raw] of Object.entries(lo)) {
    const lp = `${path}.layers.${name}`
    const l = rd.obj(raw, lp)
    if (!l) continue
    const layer: BuildpackLayerMetadata = {
      sha: rd.str(l['sha'], `${lp}.sha`),
      build: rd.bool(l['build'], `${lp}.build`),
      launch: rd.bool(l['launch'], `${lp}.launch`),
      cache: rd.bool(l['cache'], `${lp}.cache`),
    }
    if (l['data'] !== undefined && l['data'] !== null) layer.data = l['data']
    layers[name] = layer
  }
  const out: BuildpackLayersMetadata = {
    key: rd.str(o['key'], `${path}.key`),
    version: rd.str(o['version'], `${path}.version`),
    layers,
  }
  const store = rd.obj(o['store'], `${path}.store`)
  if (store) {
    const smd = rd.obj(store['metadata'], `${path}.store.metadata`)
    if (smd) out.store = { metadata: smd }
  }
  return out
}

/**
 * Decodes the `io.buildpacks.lifecycle.metadata` label. Missing keys become zero values; wrong
 * types are dropped with a warning; `runImage.image`/`mirrors` fall back to `stack.runImage`
 * (images from lifecycle < 0.12 platforms). Throws LabelError when `text` is not a JSON object.
 */
export function decodeLifecycleMetadata(text: string): Decoded<LayersMetadata> {
  const label = LABELS.LIFECYCLE_METADATA
  const o = parseLabelJson(label, text)
  const rd = new LenientReader(label)
  return { value: layersMetadataFromObject(o, rd), warnings: rd.warnings }
}

/**
 * Returns LayersMetadata from an already-parsed object in the JSON label's key names, reading
 * leniently through `rd` (which collects the warnings). Shared with analyzed.toml's `[metadata]`.
 */
export function layersMetadataFromObject(o: JsonObject, rd: LenientReader): LayersMetadata {
  const md = emptyLayersMetadata()
  md.app = rd.arr(o['app'], 'app').flatMap((a, i) => {
    const ref = decodeRef(rd, a, `app[${i}]`)
    return ref ? [ref] : []
  })
  const sbom = decodeRef(rd, o['sbom'], 'sbom')
  if (sbom) md.sbom = sbom
  md.buildpacks = rd.arr(o['buildpacks'], 'buildpacks').flatMap((b, i) => {
    const bp = decodeBuildpackLayers(rd, b, `buildpacks[${i}]`)
    return bp ? [bp] : []
  })
  const config = decodeRef(rd, o['config'], 'config')
  if (config) md.config = config
  const launcher = decodeRef(rd, o['launcher'], 'launcher')
  if (launcher) md.launcher = launcher
  const pt = decodeRef(rd, o['process-types'], 'process-types')
  if (pt) md.processTypes = pt
  const run = rd.obj(o['runImage'], 'runImage') ?? {}
  md.runImage = {
    topLayer: rd.str(run['topLayer'], 'runImage.topLayer'),
    reference: rd.str(run['reference'], 'runImage.reference'),
    image: rd.str(run['image'], 'runImage.image'),
    mirrors: rd.strings(run['mirrors'], 'runImage.mirrors'),
  }
  if (!md.runImage.image) {
    // Images exported for Platform < 0.12 only carry the deprecated stack.runImage copy.
    const stack = rd.obj(o['stack'], 'stack')
    const sr = stack ? rd.obj(stack['runImage'], 'stack.runImage') : undefined
    if (sr) {
      md.runImage.image = rd.str(sr['image'], 'stack.runImage.image')
      md.runImage.mirrors = rd.strings(sr['mirrors'], 'stack.runImage.mirrors')
    }
  }
  return md
}

/** Returns the `io.buildpacks.lifecycle.cache.metadata` label value: `{"sbom"?, "buildpacks": [...]}`. */
export function encodeCacheMetadata(md: CacheMetadata): string {
  const out: JsonObject = {}
  if (md.sbom) out['sbom'] = { sha: md.sbom.sha }
  out['buildpacks'] = md.buildpacks.map(encodeBuildpackLayers)
  return JSON.stringify(out)
}

/** Decodes the cache metadata label leniently; throws LabelError when `text` is not a JSON object. */
export function decodeCacheMetadata(text: string): Decoded<CacheMetadata> {
  const label = LABELS.CACHE_METADATA
  const o = parseLabelJson(label, text)
  const rd = new LenientReader(label)
  const md: CacheMetadata = {
    buildpacks: rd.arr(o['buildpacks'], 'buildpacks').flatMap((b, i) => {
      const bp = decodeBuildpackLayers(rd, b, `buildpacks[${i}]`)
      return bp ? [bp] : []
    }),
  }
  const sbom = decodeRef(rd, o['sbom'], 'sbom')
  if (sbom) md.sbom = sbom
  return { value: md, warnings: rd.warnings }
}
