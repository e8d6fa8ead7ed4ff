/** Immutable, lazy mutations (ggcr `mutate`): each returns a new Image computed on first use from
 * its input, which is never changed. Output bytes are deterministic for equal inputs.
 */
import type { Digest } from '../digest/index.js'
import type { History, ImageConfig, MediaTypeFamily } from '../oci/index.js'
import { imageFromComputedParts, layerDescriptor, partsOf, type ImageParts } from './compose.js'
import { InvalidMutationError } from './errors.js'
import type { Image, Layer } from './model.js'

/** One step to append: a layer with its history entry, or (no layer) an empty-layer history entry. */
export interface Addendum {
  layer?: Layer
  history?: History
  /** Annotations for the layer's manifest descriptor. */
  annotations?: Record<string, string>
}

function mutate(base: Image, edit: (p: ImageParts) => Promise<ImageParts> | ImageParts): Image {
  return imageFromComputedParts(async () => edit(await partsOf(base)))
}

/** Number of history entries that stand for a layer (not `empty_layer`). */
export function nonEmptyHistoryCount(history: readonly History[] | undefined): number {
  return (history ?? []).filter((h) => !h.empty_layer).length
}

/**
 * `base` with `adds` on top, in order: a manifest descriptor per layer (digest, size and media
 * type from the layer, converted to the base's family), its diffID, and one history entry per
 * add. If the base's history has fewer layer entries than diff_ids, `{}` entries are appended
 * first so history and diff_ids keep pairing by position.
 */
export function appendLayers(base: Image, ...adds: Addendum[]): Image {
  return mutate(base, async (p) => {
    const added = await Promise.all(adds.map(async (a) => a.layer
      ? { layer: a.layer, descriptor: await layerDescriptor(a.layer, a.annotations), diffId: await a.layer.diffId() }
      : undefined))
    const history = [...(p.config.history ?? [])]
    for (let n = nonEmptyHistoryCount(history); n < p.config.rootfs.diff_ids.length; n++) history.push({})
    const diffIds: Digest[] = [...p.config.rootfs.diff_ids]
    adds.forEach((a, i) => {
      const l = added[i]
      const { empty_layer: _drop, ...h } = a.history ?? {}
      if (l) {
        p.layers.push({ descriptor: l.descriptor, layer: l.layer })
        diffIds.push(l.diffId)
        history.push(h)
      } else {
        history.push({ ...h, empty_layer: true })
      }
    })
    p.config = { ...p.config, rootfs: { type: 'layers', diff_ids: diffIds }, history }
    return p
  })
}

/**
 * `base` with its config replaced by `edit(copy)`. `edit` gets a deep copy (it may change and
 * return it) and must keep rootfs.diff_ids: changing them throws InvalidMutationError on use.
 */
export function withConfig(base: Image, edit: (c: ImageConfig) => ImageConfig): Image {
  return mutate(base, (p) => {
    const before = JSON.stringify(p.config.rootfs.diff_ids)
    const next = edit(p.config)
    if (JSON.stringify(next?.rootfs?.diff_ids) !== before) throw new InvalidMutationError('withConfig: the edit changed rootfs.diff_ids; use appendLayers or rebase')
    p.config = next
    return p
  })
}

/** `base` with config `created` set to `date` (RFC 3339, UTC). */
export function withCreated(base: Image, date: Date | string): Image {
  const iso = typeof date === 'string' ? date : date.toISOString()
  return withConfig(base, (c) => ({ ...c, created: iso }))
}

/** `base` with `labels` merged into config.config.Labels; an `undefined` value removes that label. */
export function withLabels(base: Image, labels: Record<string, string | undefined>): Image {
  return withConfig(base, (c) => {
    const merged: Record<string, string> = { ...c.config?.Labels }
    for (const [k, v] of Object.entries(labels)) {
      if (v === undefined) delete merged[k]
      else merged[k] = v
    }
    return { ...c, config: { ...c.config, Labels: merged } }
  })
}

/**
 * `base` as an OCI or Docker manifest: manifest, config and layer media types all switch
 * (gzip layer types are interchangeable; a Docker manifest cannot carry uncompressed or zstd
 * layers and throws UnsupportedMediaTypeError on use). Blob bytes are unchanged.
 */
export function withMediaTypes(base: Image, family: MediaTypeFamily): Image {
  return mutate(base, (p) => ({ ...p, family }))
}

/** `base` with `annotations` merged into the manifest's annotations; an `undefined` value removes one. */
export function withAnnotations(base: Image, annotations: Record<string, string | undefined>): Image {
  return mutate(base, (p) => {
    const merged: Record<string, string> = { ...p.annotations }
    for (const [k, v] of Object.entries(annotations)) {
      if (v === undefined) delete merged[k]
      else merged[k] = v
    }
    p.annotations = merged
    return p
  })
}
