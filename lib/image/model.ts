// The Image and Layer interfaces every image source (registry, layout, memory, mutation) implements.
import type { Readable } from 'node:stream'
import type { Digest } from '../digest/index.js'
import type { Descriptor, ImageConfig, ImageManifest, MediaType } from '../oci/index.js'

/**
 * One image layer. `digest`/`size` describe the stored (compressed) bytes, `diffId` the
 * uncompressed tar. Implementations say whether their streams can be opened more than once;
 * the ones in lib/ all can, unless documented otherwise.
 */
export interface Layer {
  readonly mediaType: MediaType
  digest(): Promise<Digest>
  diffId(): Promise<Digest>
  size(): Promise<number>
  /** The stored bytes (e.g. gzip). Verified against digest where the source is untrusted. */
  compressed(signal?: AbortSignal): Promise<Readable>
  /** The uncompressed tar. */
  uncompressed(signal?: AbortSignal): Promise<Readable>
  /** Extra descriptor fields (annotations, urls) to carry into a manifest. */
  descriptorExtras?(): Partial<Descriptor>
  /**
   * Repositories (`registry/repo`) known to hold this layer's blob: push mounts from them
   * instead of uploading when the target is in the same registry.
   */
  sources?(): readonly string[]
}

/** An image: a manifest, a config and layers, base first. All values are derived lazily. */
export interface Image {
  rawManifest(): Promise<Uint8Array>
  manifest(): Promise<ImageManifest>
  mediaType(): Promise<MediaType>
  /** Digest of rawManifest(). */
  digest(): Promise<Digest>
  /** Descriptor of the manifest (mediaType, digest, size). */
  descriptor(): Promise<Descriptor>
  rawConfig(): Promise<Uint8Array>
  config(): Promise<ImageConfig>
  /** Layers, base first, paired with manifest.layers and config.rootfs.diff_ids. */
  layers(): Promise<Layer[]>
  layerByDigest(d: Digest): Promise<Layer>
  layerByDiffId(d: Digest): Promise<Layer>
}

/** What an image source must supply; `toImage` derives the rest. */
export interface ImageCore {
  rawManifest(): Promise<Uint8Array>
  rawConfig(): Promise<Uint8Array>
  /** The layer for manifest.layers[index] with config.rootfs.diff_ids[index]. */
  layer(desc: Descriptor, diffId: Digest, index: number): Layer
}
