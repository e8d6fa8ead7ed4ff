// Reads an image from a store as a lazy Image: manifest first, config and layers only when asked.
import { LadingError } from '../errors.js'
import { toImage, type Image } from '../image/index.js'
import {
  availablePlatforms, hostPlatform, isIndex, selectManifest, formatPlatform, type ImageIndex, type ImageManifest, type Parsed,
  type Platform, type Repository,
} from '../oci/index.js'
import { readBlob } from './read-blob.js'
import { remoteLayer } from './remote-layer.js'

/** Options for fetchImage. */
export interface FetchImageOptions {
  /** Platform to pick from an index; default: the host's. */
  platform?: Platform
  signal?: AbortSignal
}

/**
 * Resolves `identifier` (tag or digest) in `repo` to an Image. An index is narrowed to the
 * entry for the platform (attestations skipped). The config is read on first use; layer bytes
 * are never read here. Throws the store's not-found error, or ERR_PLATFORM_NOT_FOUND.
 */
export async function fetchImage(repo: Repository, identifier: string, opts: FetchImageOptions = {}): Promise<Image> {
  const top = await repo.manifests.get(identifier, opts.signal)
  const parsed = await narrowToImage(repo, top, opts.platform ?? hostPlatform(), opts.signal)
  return imageFromManifest(repo, parsed as Parsed<ImageManifest>, opts.signal)
}

/** Follows index → child (by digest) until an image manifest is reached (nesting bounded). */
export async function narrowToImage(
  repo: Repository, top: Parsed<ImageManifest | ImageIndex>, platform: Platform, signal?: AbortSignal,
): Promise<Parsed<ImageManifest>> {
  let cur = top
  for (let depth = 0; isIndex(cur); depth++) {
    if (depth >= 4) throw new LadingError('ERR_MANIFEST_INVALID', `index nesting deeper than 4 levels in ${repo.name}`)
    const desc = selectManifest(cur.value as ImageIndex, platform)
    if (!desc) {
      const have = availablePlatforms(cur.value as ImageIndex)
      throw new LadingError('ERR_PLATFORM_NOT_FOUND',
        `${repo.name} has no image for ${formatPlatform(platform)} (available: ${have.join(', ') || 'none'}); pass --platform`)
    }
    cur = await repo.manifests.get(desc.digest, signal)
  }
  return cur as Parsed<ImageManifest>
}

/**
 * An Image over a parsed manifest stored in `repo`; the config is fetched once, lazily. `signal`
 * stops its reads (config and layers) when a caller of a layer stream passes none of its own.
 */
export function imageFromManifest(repo: Repository, parsed: Parsed<ImageManifest>, signal?: AbortSignal): Image {
  let config: Promise<Uint8Array> | undefined
  return toImage({
    rawManifest: async () => parsed.bytes,
    rawConfig: () => (config ??= readBlob(repo.blobs, parsed.value.config, signal)),
    layer: (desc, diffId) => remoteLayer(repo, desc, diffId, signal),
  })
}
