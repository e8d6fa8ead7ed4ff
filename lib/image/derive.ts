// Turns raw manifest and config bytes into a full lazy Image, derived and checked once (plus the memo helper).
import { verifyBytes, type Digest } from '../digest/index.js'
import {
  InvalidManifestError, UnsupportedMediaTypeError, isIndex, parseConfig, parseManifest,
  type Descriptor, type ImageConfig, type ImageManifest, type Parsed,
} from '../oci/index.js'
import { LayerNotFoundError } from './errors.js'
import type { Image, ImageCore, Layer } from './model.js'

/**
 * Memoises an async computation. A rejected attempt is forgotten, so a later call retries
 * instead of replaying a transient failure forever.
 */
export function memo<T>(f: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined
  return () => {
    if (!p) {
      p = f()
      p.catch(() => { p = undefined })
    }
    return p
  }
}

/**
 * The full Image over `core`. Everything is derived lazily and once: the manifest is parsed
 * once (digest over the raw bytes), the config is checked against the manifest's config
 * descriptor (DigestMismatchError) and parsed, and layers are paired with diff_ids by position.
 * Throws UnsupportedMediaTypeError when the raw manifest is an index, InvalidManifestError when
 * diff_ids and layers differ in count, LayerNotFoundError from the lookups.
 */
export function toImage(core: ImageCore): Image {
  const parsed = memo(async (): Promise<Parsed<ImageManifest>> => {
    const p = parseManifest(await core.rawManifest())
    if (isIndex(p)) throw new UnsupportedMediaTypeError(p.descriptor.mediaType, 'expected an image manifest, got an index')
    return p as Parsed<ImageManifest>
  })
  const rawConfig = memo(async () => {
    const [p, bytes] = await Promise.all([parsed(), core.rawConfig()])
    verifyBytes(bytes, { digest: p.value.config.digest, size: p.value.config.size })
    return bytes
  })
  const config = memo(async (): Promise<ImageConfig> => parseConfig(await rawConfig()))
  const layers = memo(async (): Promise<Layer[]> => {
    const [p, c] = await Promise.all([parsed(), config()])
    const descs = p.value.layers
    const diffIds = c.rootfs.diff_ids
    if (descs.length !== diffIds.length) {
      throw new InvalidManifestError('config.rootfs.diff_ids', `has ${diffIds.length} entries but the manifest has ${descs.length} layers`)
    }
    return descs.map((d, i) => core.layer(d, diffIds[i]!, i))
  })
  const indexOf = async (find: (d: Descriptor, diffId: Digest) => boolean): Promise<number> => {
    const [p, c] = await Promise.all([parsed(), config()])
    return p.value.layers.findIndex((d, i) => find(d, c.rootfs.diff_ids[i]!))
  }
  return {
    rawManifest: async () => (await parsed()).bytes,
    manifest: async () => (await parsed()).value,
    mediaType: async () => (await parsed()).descriptor.mediaType,
    digest: async () => (await parsed()).descriptor.digest,
    descriptor: async () => ({ ...(await parsed()).descriptor }),
    rawConfig,
    config,
    layers,
    async layerByDigest(d: Digest) {
      const i = await indexOf((desc) => desc.digest === d)
      if (i < 0) throw new LayerNotFoundError(d, 'digest')
      return (await layers())[i]!
    },
    async layerByDiffId(d: Digest) {
      const i = await indexOf((_, diffId) => diffId === d)
      if (i < 0) throw new LayerNotFoundError(d, 'diffID')
      return (await layers())[i]!
    },
  }
}
