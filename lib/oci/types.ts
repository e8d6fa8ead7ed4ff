// The OCI data model as TypeScript types: platforms, descriptors, manifests, indexes, configs, references.
import type { Digest } from '../digest/index.js'
import type { MediaType } from './media-type.js'

/** OCI platform, as in an index entry or an image config. */
export interface Platform {
  architecture: string
  os: string
  variant?: string
  'os.version'?: string
  'os.features'?: string[]
}

/** OCI content descriptor. */
export interface Descriptor {
  mediaType: MediaType
  digest: Digest
  size: number
  annotations?: Record<string, string>
  platform?: Platform
  urls?: string[]
  artifactType?: string
  data?: string
}

/** OCI image manifest (or Docker schema2 manifest, same shape). */
export interface ImageManifest {
  schemaVersion: 2
  mediaType?: MediaType
  artifactType?: string
  config: Descriptor
  layers: Descriptor[]
  subject?: Descriptor
  annotations?: Record<string, string>
}

/** OCI image index (or Docker manifest list, same shape). */
export interface ImageIndex {
  schemaVersion: 2
  mediaType?: MediaType
  artifactType?: string
  manifests: Descriptor[]
  subject?: Descriptor
  annotations?: Record<string, string>
}

/** One `history` entry of an image config. */
export interface History {
  created?: string
  author?: string
  created_by?: string
  comment?: string
  empty_layer?: boolean
}

/** The runtime part (`config`) of an image config. Unknown fields are kept. */
export interface ContainerConfig {
  User?: string
  ExposedPorts?: Record<string, object>
  Env?: string[]
  Entrypoint?: string[] | null
  Cmd?: string[] | null
  Volumes?: Record<string, object>
  WorkingDir?: string
  Labels?: Record<string, string> | null
  StopSignal?: string
  [k: string]: unknown
}

/** OCI image config (image-spec config.md). Unknown fields are kept. */
export interface ImageConfig {
  created?: string
  author?: string
  architecture: string
  os: string
  'os.version'?: string
  'os.features'?: string[]
  variant?: string
  config?: ContainerConfig
  rootfs: { type: 'layers'; diff_ids: Digest[] }
  history?: History[]
  [k: string]: unknown
}

/** A parsed JSON document with the exact bytes it came from; `descriptor.digest` is of `bytes`. */
export interface Parsed<T> {
  value: T
  bytes: Uint8Array
  descriptor: Descriptor
}

/** A parsed image reference (Docker rules). `registry` is the canonical host, `docker.io` for Hub. */
export interface Reference {
  /** Canonical registry host[:port], e.g. `docker.io`, `localhost:5000`, `ghcr.io`. */
  registry: string
  /** Repository path, e.g. `library/ubuntu`. */
  repository: string
  tag?: string
  digest?: Digest
  /** The tag or digest to fetch: digest wins, else tag, else `latest`. */
  identifier(): string
  /** `registry/repository[:tag][@digest]` in canonical form. */
  toString(): string
  /** `registry/repository`. */
  name(): string
}
