// The empty base image (no layers) for a platform, with deterministic bytes; appendLayers builds on it.
import type { ImageConfig, MediaTypeFamily, Platform } from '../oci/index.js'
import { imageFromComputedParts } from './compose.js'
import type { Image } from './model.js'

/**
 * An image with no layers for `platform`: an OCI (default) or Docker manifest and a config
 * `{architecture, os[, variant][, os.version], config: {}, rootfs: {type: layers, diff_ids: []}}`.
 * The bytes are deterministic; appendLayers builds on it.
 */
export function emptyImage(platform: Pick<Platform, 'os' | 'architecture' | 'variant' | 'os.version'>, family: MediaTypeFamily = 'oci'): Image {
  // Fixed key order: variant and os.version sit next to os, as in the spec's examples.
  const config = { architecture: platform.architecture, os: platform.os } as ImageConfig
  if (platform.variant) config.variant = platform.variant
  if (platform['os.version']) config['os.version'] = platform['os.version']
  config.config = {}
  config.rootfs = { type: 'layers', diff_ids: [] }
  return imageFromComputedParts(async () => ({ family, config: structuredClone(config), layers: [] }))
}
