/** Media type families (oci-registry.md §3.1): one manifest never mixes OCI and Docker types, so
 * authored manifests convert layer types to the manifest's family (gzip types are interchangeable).
 */
import { UnsupportedMediaTypeError } from './errors.js'
import { MediaTypes, type MediaType } from './media-type.js'

/** `oci` or `docker`: the family of a manifest and everything it refers to. */
export type MediaTypeFamily = 'oci' | 'docker'

/** The family of a manifest or index media type; anything not Docker counts as OCI. */
export function familyOf(manifestType: MediaType | undefined): MediaTypeFamily {
  return manifestType === MediaTypes.DOCKER_MANIFEST || manifestType === MediaTypes.DOCKER_LIST ? 'docker' : 'oci'
}

/** The image manifest media type of `family`. */
export function manifestTypeOf(family: MediaTypeFamily): MediaType {
  return family === 'docker' ? MediaTypes.DOCKER_MANIFEST : MediaTypes.OCI_MANIFEST
}

/** The config media type of `family`. */
export function configTypeOf(family: MediaTypeFamily): MediaType {
  return family === 'docker' ? MediaTypes.DOCKER_CONFIG : MediaTypes.OCI_CONFIG
}

const TO_DOCKER: Record<string, MediaType> = {
  [MediaTypes.OCI_LAYER_GZIP]: MediaTypes.DOCKER_LAYER_GZIP,
  [MediaTypes.OCI_LAYER_NONDIST_GZIP]: MediaTypes.DOCKER_FOREIGN_LAYER_GZIP,
}
const TO_OCI: Record<string, MediaType> = {
  [MediaTypes.DOCKER_LAYER_GZIP]: MediaTypes.OCI_LAYER_GZIP,
  [MediaTypes.DOCKER_FOREIGN_LAYER_GZIP]: MediaTypes.OCI_LAYER_NONDIST_GZIP,
}

/**
 * The layer media type to write in a `family` manifest for a layer of type `mt`. Docker
 * manifests carry only gzip layers: an uncompressed or zstd layer throws
 * UnsupportedMediaTypeError. Unknown types pass through into OCI manifests unchanged.
 */
export function layerTypeFor(mt: MediaType, family: MediaTypeFamily): MediaType {
  if (family === 'oci') return TO_OCI[mt] ?? mt
  if (mt === MediaTypes.DOCKER_LAYER_GZIP || mt === MediaTypes.DOCKER_FOREIGN_LAYER_GZIP) return mt
  const d = TO_DOCKER[mt]
  if (!d) throw new UnsupportedMediaTypeError(mt, 'a Docker manifest can only carry gzip layers; use OCI media types')
  return d
}
