// The BuildCache interface both cache stores (image, directory) implement.
import type { Readable } from 'node:stream'
import type { Digest } from '../digest/index.js'
import type { Layer } from '../image/index.js'
import type { CacheMetadata } from '../platform/index.js'

/** One layer to keep in the next cache: new, or an old cache layer reused. */
export interface CacheEntry { layer: Layer }

/**
 * What a build caches between runs (cnb-spec.md §5.3): layer tars addressed by diffID plus
 * the cache metadata. Two stores implement it: a registry/layout image and a directory.
 */
export interface BuildCache {
  readonly kind: 'image' | 'dir'
  /** For messages. */
  describe(): string
  /** The cache metadata; empty when there is no cache yet. */
  metadata(): Promise<CacheMetadata>
  /** The uncompressed tar of a cached layer, or undefined when the cache lacks it. */
  open(diffId: Digest): Promise<Readable | undefined>
  /** A cached layer to keep in the next cache without moving its bytes, if the cache has it. */
  reuse(diffId: Digest): Promise<Layer | undefined>
  /** Replaces the cache with `entries` and `md`; the old cache stays intact when this fails. */
  save(entries: CacheEntry[], md: CacheMetadata): Promise<void>
}
