// The build cache kept as an image (registry or OCI layout): cached layer tars plus the metadata label.
import type { Readable } from 'node:stream'
import type { Digest } from '../digest/index.js'
import { wrapError } from '../errors.js'
import { appendLayers, emptyImage, layerFromBytes, withLabels, type Image, type Layer } from '../image/index.js'
import { hostPlatform, type Repository } from '../oci/index.js'
import { decodeCacheMetadata, encodeCacheMetadata, LABELS, type CacheMetadata } from '../platform/index.js'
import { fetchImage, isNotFound, pushImage } from '../remote/index.js'
import type { BuildCache, CacheEntry } from './cache.js'
import { definedOnly } from '../defined.js'

/** Options of an image-backed cache. */
export interface ImageCacheOptions {
  repo: Repository
  tag: string
  /** For messages. */
  display: string
  concurrency?: number
  /** Repositories to mount layers from (the app image's: launch+cache layers are already there). */
  mountFrom?: readonly string[]
}

/**
 * The cache image of cnb-spec.md §5.3: an image with no base whose layers are the cached
 * layer tars, found by diffID, and whose label holds the cache metadata. Reused layers are
 * referenced again by digest (mounted or already present), never downloaded.
 */
export function imageCache(opts: ImageCacheOptions): BuildCache {
  let previous: Promise<Image | undefined> | undefined
  const load = (): Promise<Image | undefined> => (previous ??= fetchImage(opts.repo, opts.tag).catch((err) => {
    if (isNotFound(err)) return undefined
    throw wrapError(`read cache image ${opts.display}`, err)
  }))
  const find = async (diffId: Digest): Promise<Layer | undefined> => {
    const img = await load()
    if (!img) return undefined
    const cfg = await img.config()
    return cfg.rootfs.diff_ids.includes(diffId) ? img.layerByDiffId(diffId) : undefined
  }
  return {
    kind: 'image',
    describe: () => opts.display,
    async metadata() {
      const img = await load()
      const label = img ? (await img.config()).config?.Labels?.[LABELS.CACHE_METADATA] : undefined
      return label ? decodeCacheMetadata(label).value : { buildpacks: [] }
    },
    async open(diffId): Promise<Readable | undefined> {
      const layer = await find(diffId)
      return layer ? layer.uncompressed() : undefined
    },
    reuse: find,
    async save(entries: CacheEntry[], md: CacheMetadata) {
      let image: Image = emptyImage(await platformOf(await load()))
      const layers = entries.length ? entries.map((e) => e.layer) : [emptyTarLayer()]
      image = appendLayers(image, ...layers.map((layer) => ({ layer, history: { created_by: 'lading cache layer' } })))
      image = withLabels(image, { [LABELS.CACHE_METADATA]: encodeCacheMetadata(md) })
      try {
        await pushImage(opts.repo, image, [opts.tag], definedOnly({ concurrency: opts.concurrency ?? 4, mountFrom: opts.mountFrom }))
      } catch (err) {
        throw wrapError(`write cache image ${opts.display}`, err)
      }
    },
  }
}

async function platformOf(img: Image | undefined): Promise<{ os: string; architecture: string; variant?: string }> {
  if (!img) return hostPlatform()
  const c = await img.config()
  return { os: c.os, architecture: c.architecture }
}

/** A registry rejects an image with no layers: the lifecycle adds a 1024-byte empty tar. */
function emptyTarLayer(): Layer {
  return layerFromBytes(new Uint8Array(1024))
}
