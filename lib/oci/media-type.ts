/** Media types of the OCI image-spec and their Docker schema2 counterparts (oci-registry.md §3.1). */
export const MediaTypes = {
  OCI_INDEX: 'application/vnd.oci.image.index.v1+json',
  OCI_MANIFEST: 'application/vnd.oci.image.manifest.v1+json',
  OCI_CONFIG: 'application/vnd.oci.image.config.v1+json',
  OCI_LAYER: 'application/vnd.oci.image.layer.v1.tar',
  OCI_LAYER_GZIP: 'application/vnd.oci.image.layer.v1.tar+gzip',
  OCI_LAYER_ZSTD: 'application/vnd.oci.image.layer.v1.tar+zstd',
  OCI_LAYER_NONDIST: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  OCI_LAYER_NONDIST_GZIP: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  OCI_LAYER_NONDIST_ZSTD: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  OCI_EMPTY: 'application/vnd.oci.empty.v1+json',
  OCI_LAYOUT_HEADER: 'application/vnd.oci.layout.header.v1+json',
  DOCKER_LIST: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DOCKER_MANIFEST: 'application/vnd.docker.distribution.manifest.v2+json',
  DOCKER_CONFIG: 'application/vnd.docker.container.image.v1+json',
  DOCKER_LAYER_GZIP: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  DOCKER_FOREIGN_LAYER_GZIP: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  DOCKER_SCHEMA1: 'application/vnd.docker.distribution.manifest.v1+json',
  DOCKER_SCHEMA1_SIGNED: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const

/** Any media type string; the constants above are the ones lading understands. */
export type MediaType = string

/** The Accept list sent on every manifest request (distribution 404s OCI types otherwise). */
export const MANIFEST_ACCEPT: readonly MediaType[] = [
  MediaTypes.OCI_INDEX,
  MediaTypes.OCI_MANIFEST,
  MediaTypes.DOCKER_LIST,
  MediaTypes.DOCKER_MANIFEST,
]

export function isIndexType(mt: MediaType | undefined): boolean {
  return mt === MediaTypes.OCI_INDEX || mt === MediaTypes.DOCKER_LIST
}

export function isImageManifestType(mt: MediaType | undefined): boolean {
  return mt === MediaTypes.OCI_MANIFEST || mt === MediaTypes.DOCKER_MANIFEST
}

export function isSchema1Type(mt: MediaType | undefined): boolean {
  return mt === MediaTypes.DOCKER_SCHEMA1 || mt === MediaTypes.DOCKER_SCHEMA1_SIGNED
}

/** True for layer types that must not be uploaded (foreign / non-distributable). */
export function isForeignLayerType(mt: MediaType): boolean {
  return mt === MediaTypes.DOCKER_FOREIGN_LAYER_GZIP || mt.startsWith('application/vnd.oci.image.layer.nondistributable.')
}

/** True when the layer type is gzip-compressed (OCI or Docker). */
export function isGzipLayerType(mt: MediaType): boolean {
  return mt.endsWith('+gzip') || mt === MediaTypes.DOCKER_LAYER_GZIP || mt === MediaTypes.DOCKER_FOREIGN_LAYER_GZIP
}

/** True when the layer type is an uncompressed tar. */
export function isUncompressedLayerType(mt: MediaType): boolean {
  return mt === MediaTypes.OCI_LAYER || mt === MediaTypes.OCI_LAYER_NONDIST
}
