/** Rebase (ggcr `mutate/rebase.go`, CNB platform spec rebaser): swap the base layers under an
 * image without reading any layer bytes — a diff_ids prefix check, then a config stitch.
 */
import type { Digest } from '../digest/index.js'
import type { History, ImageConfig } from '../oci/index.js'
import { imageFromComputedParts, partsOf } from './compose.js'
import { NotBasedOnError } from './errors.js'
import type { Image } from './model.js'
import { nonEmptyHistoryCount } from './mutate.js'

/** The old base as an image, or as the diffID of its top layer (CNB `runImage.topLayer`). */
export type OldBase = Image | { topLayerDiffId: Digest }

const PLATFORM_FIELDS = ['architecture', 'os', 'variant', 'os.version', 'os.features'] as const

/**
 * `image` with the layers of `oldBase` replaced by those of `newBase`. The old base's diff_ids
 * must be a prefix of the image's (or `topLayerDiffId` must occur in them: the prefix runs up to
 * its first occurrence); otherwise NotBasedOnError names the mismatch. The result has the new
 * base's layers, then the image's layers above the old base; diff_ids and history stitched the
 * same way (the split in the image's history is after as many layer entries as the old base has
 * layers); os/architecture/variant/os.version/os.features from the new base; the rest of the
 * image's config and its manifest family and annotations kept. Layer descriptors are reused.
 * `edit` (the rebaser's label and history rewrite) changes the stitched config before it is
 * serialised: the same result as withConfig on top, without serialising and hashing the
 * intermediate image's config and manifest first.
 */
export async function rebase(image: Image, oldBase: OldBase, newBase: Image, edit?: (config: ImageConfig) => ImageConfig): Promise<Image> {
  const [img, nb] = await Promise.all([partsOf(image), partsOf(newBase)])
  const ids = img.config.rootfs.diff_ids
  let keep: number
  let oldHistoryLength: number | undefined
  if ('topLayerDiffId' in oldBase) {
    const i = ids.indexOf(oldBase.topLayerDiffId)
    if (i < 0) throw new NotBasedOnError(`top layer ${oldBase.topLayerDiffId} is not among the image's ${ids.length} layers`)
    keep = i + 1
  } else {
    const old = await oldBase.config()
    const oldIds = old.rootfs.diff_ids
    if (oldIds.length > ids.length) throw new NotBasedOnError(`old base has ${oldIds.length} layers, the image only ${ids.length}`)
    const bad = oldIds.findIndex((d, i) => d !== ids[i])
    if (bad >= 0) throw new NotBasedOnError(`layer ${bad} differs: old base has ${oldIds[bad]}, image has ${ids[bad]}`)
    keep = oldIds.length
    oldHistoryLength = old.history?.length
  }

  const upperHistory = historyAbove(img.config.history ?? [], keep, ids.length - keep, oldHistoryLength)
  const config = { ...img.config }
  for (const f of PLATFORM_FIELDS) {
    if (nb.config[f] !== undefined) (config as Record<string, unknown>)[f] = nb.config[f]
    else delete config[f]
  }
  config.rootfs = { type: 'layers', diff_ids: [...nb.config.rootfs.diff_ids, ...ids.slice(keep)] }
  const baseHistory = [...(nb.config.history ?? [])]
  for (let n = nonEmptyHistoryCount(baseHistory); n < nb.config.rootfs.diff_ids.length; n++) baseHistory.push({})
  config.history = [...baseHistory, ...upperHistory]
  return imageFromComputedParts(async () => ({
    ...img,
    config: edit ? edit(config) : config,
    layers: [...nb.layers, ...img.layers.slice(keep)],
    original: undefined,
  }))
}

/**
 * The image's history entries above the old base. With the old base's history length known and
 * consistent it is the split point; otherwise the split follows the `keep`-th layer entry.
 * Missing layer entries are padded with `{}` at the front, so history still pairs with layers.
 */
function historyAbove(history: readonly History[], keep: number, upperLayers: number, oldLength?: number): History[] {
  let split: number
  if (oldLength !== undefined && oldLength <= history.length && nonEmptyHistoryCount(history.slice(0, oldLength)) === keep) {
    split = oldLength
  } else {
    split = history.length
    let seen = 0
    for (let i = 0; i < history.length; i++) {
      if (!history[i]!.empty_layer && ++seen === keep) { split = i + 1; break }
    }
    if (keep === 0) split = 0
  }
  const upper = history.slice(split)
  const pad: History[] = []
  for (let n = nonEmptyHistoryCount(upper); n < upperLayers; n++) pad.push({})
  return [...pad, ...upper]
}
