/** `analyzed.toml` (cnb-spec.md §5.1): the previous image, the run image (reference, name,
 * target data) and the previous image's lifecycle metadata label in TOML form under
 * `[metadata]`. The label ↔ TOML mapping follows the Go struct tags: `runImage` ↔ `run-image`,
 * `topLayer` ↔ `top-layer`, and a layer's `data` ↔ `metadata` [impl].
 */
import { type LayersMetadata, LenientReader, emptyLayersMetadata, layersMetadataFromObject } from '../labels/index.js'
import type { TargetMetadata } from '../target.js'
import {
  type FieldContext, type Table, at, compact, optBool, optString, optTable, parseTomlText, plainCopy, readTomlFile,
  reqString, stringifyToml,
} from '../../toml/index.js'

/** The run image as analyzed: digest reference, the name it was chosen by, and its target data. */
export interface AnalyzedRunImage {
  reference: string
  image?: string
  extend?: boolean
  target?: TargetMetadata
}

/** A parsed analyzed.toml; `metadata` is empty when there is no previous image. */
export interface Analyzed {
  previousImage?: { reference: string }
  buildImage?: { reference: string }
  runImage?: AnalyzedRunImage
  metadata: LayersMetadata
}

/** A decoded analyzed.toml plus notes about ignored `[metadata]` parts. */
export interface AnalyzedFile {
  analyzed: Analyzed
  warnings: string[]
}

// TOML (and our writer) cannot hold null; free-form data from a JSON label may.
function tomlSafe(v: unknown): unknown {
  if (Array.isArray(v)) return v.filter((x) => x !== null).map(tomlSafe)
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = tomlSafe(x)
    return out
  }
  return v
}

/** Returns the `[metadata]` table for a lifecycle metadata label value (TOML key names). */
export function metadataToToml(md: LayersMetadata): Table {
  const out: Table = {}
  if (md.app.length > 0) out['app'] = md.app.map((a) => ({ sha: a.sha }))
  if (md.sbom) out['sbom'] = { sha: md.sbom.sha }
  if (md.buildpacks.length > 0) {
    out['buildpacks'] = md.buildpacks.map((b) => {
      const layers: Table = {}
      for (const name of Object.keys(b.layers).sort()) {
        const l = b.layers[name]!
        layers[name] = compact({
          sha: l.sha, launch: l.launch, build: l.build, cache: l.cache,
          metadata: l.data === undefined ? undefined : tomlSafe(l.data),
        })
      }
      return compact({ key: b.key, version: b.version, layers, store: b.store ? { metadata: tomlSafe(b.store.metadata) } : undefined })
    })
  }
  if (md.config) out['config'] = { sha: md.config.sha }
  if (md.launcher) out['launcher'] = { sha: md.launcher.sha }
  if (md.processTypes) out['process-types'] = { sha: md.processTypes.sha }
  const r = md.runImage
  out['run-image'] = { 'top-layer': r.topLayer, reference: r.reference, image: r.image, mirrors: [...r.mirrors] }
  out['stack'] = { 'run-image': { image: r.image, mirrors: [...r.mirrors] } }
  return out
}

function renamed(v: unknown, map: Record<string, string>): unknown {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return v
  const out: Record<string, unknown> = {}
  for (const [k, x] of Object.entries(v)) out[map[k] ?? k] = x
  return out
}

/**
 * Returns LayersMetadata from an analyzed.toml `[metadata]` table, leniently (as the label
 * decoder): wrong types are dropped with a warning prefixed by `source`.
 */
export function metadataFromToml(t: Table, source = 'analyzed.toml [metadata]'): { value: LayersMetadata; warnings: string[] } {
  const o = plainCopy(t) as Record<string, unknown>
  const json: Record<string, unknown> = { ...o }
  json['runImage'] = renamed(o['run-image'], { 'top-layer': 'topLayer' })
  const stack = o['stack'] as Record<string, unknown> | undefined
  if (stack && typeof stack === 'object') json['stack'] = renamed(stack, { 'run-image': 'runImage' })
  if (Array.isArray(o['buildpacks'])) {
    json['buildpacks'] = o['buildpacks'].map((b) => {
      if (typeof b !== 'object' || b === null) return b
      const bo = b as Record<string, unknown>
      const layers = bo['layers']
      if (typeof layers !== 'object' || layers === null) return bo
      const ls: Record<string, unknown> = {}
      for (const [name, l] of Object.entries(layers)) ls[name] = renamed(l, { metadata: 'data' })
      return { ...bo, layers: ls }
    })
  }
  const rd = new LenientReader(source)
  return { value: layersMetadataFromObject(json, rd), warnings: rd.warnings }
}

function targetToToml(t: TargetMetadata): Table {
  return compact({
    id: t.id || undefined, os: t.os, arch: t.arch, 'arch-variant': t.archVariant || undefined,
    distro: t.distro ? { name: t.distro.name, version: t.distro.version } : undefined,
  })
}

/**
 * Returns analyzed.toml text: `[image]` (when a previous image exists), `[build-image]` (when
 * set), `[run-image]` reference, image, extend (only when true), `[run-image.target]` (with
 * `arch-variant` [impl] and `[run-image.target.distro]`), then `[metadata]`. Byte-stable.
 */
export function stringifyAnalyzed(a: Analyzed): string {
  const doc: Table = {}
  if (a.previousImage?.reference) doc['image'] = { reference: a.previousImage.reference }
  if (a.buildImage?.reference) doc['build-image'] = { reference: a.buildImage.reference }
  if (a.runImage) {
    const r = a.runImage
    doc['run-image'] = compact({
      reference: r.reference, image: r.image || undefined, extend: r.extend ? true : undefined,
      target: r.target ? targetToToml(r.target) : undefined,
    })
  }
  doc['metadata'] = metadataToToml(a.metadata)
  return stringifyToml(doc)
}

function targetFrom(t: Table, ctx: FieldContext): TargetMetadata {
  const target: TargetMetadata = { os: optString(t, 'os', ctx) ?? '', arch: optString(t, 'arch', ctx) ?? '' }
  const id = optString(t, 'id', ctx)
  if (id) target.id = id
  // [impl] the lifecycle writes arch-variant; accept the spec's `variant` too.
  const variant = optString(t, 'arch-variant', ctx) || optString(t, 'variant', ctx)
  if (variant) target.archVariant = variant
  const d = optTable(t, 'distro', ctx)
  if (d) {
    const dc = at(ctx, 'distro')
    target.distro = { name: optString(d, 'name', dc) ?? '', version: optString(d, 'version', dc) ?? '' }
  }
  return target
}

function analyzedFromDoc(doc: Table, file: string): AnalyzedFile {
  const ctx = { file, path: '' }
  const analyzed: Analyzed = { metadata: emptyLayersMetadata() }
  const warnings: string[] = []
  const image = optTable(doc, 'image', ctx)
  if (image) {
    const ref = optString(image, 'reference', at(ctx, 'image'))
    if (ref) analyzed.previousImage = { reference: ref }
  }
  const build = optTable(doc, 'build-image', ctx)
  if (build) analyzed.buildImage = { reference: reqString(build, 'reference', at(ctx, 'build-image'), false) }
  const run = optTable(doc, 'run-image', ctx)
  if (run) {
    const rc = at(ctx, 'run-image')
    const target = optTable(run, 'target', rc)
    analyzed.runImage = compact<AnalyzedRunImage>({
      reference: optString(run, 'reference', rc) ?? '',
      image: optString(run, 'image', rc) || undefined,
      extend: optBool(run, 'extend', rc) || undefined,
      target: target ? targetFrom(target, at(rc, 'target')) : undefined,
    })
  }
  const md = optTable(doc, 'metadata', ctx)
  if (md) {
    const d = metadataFromToml(md, `${file} [metadata]`)
    analyzed.metadata = d.value
    warnings.push(...d.warnings)
  }
  return { analyzed, warnings }
}

/** Parses analyzed.toml text; throws PlatformFileError on invalid TOML or a mistyped key. */
export function parseAnalyzed(text: string, file = 'analyzed.toml'): AnalyzedFile {
  return analyzedFromDoc(parseTomlText(text, file), file)
}

/** Reads and parses the analyzed.toml at `path`; throws PlatformFileError when missing or invalid. */
export async function readAnalyzedFile(path: string): Promise<AnalyzedFile> {
  return analyzedFromDoc(await readTomlFile(path), path)
}
