// Layers and images made from bytes in memory (layerFromBytes, imageFromParts): small generated layers, tests.
import { Readable } from 'node:stream'
import { gzipSync } from 'node:zlib'
import { sha256 } from '../digest/index.js'
import { MediaTypes, type ContainerConfig, type MediaTypeFamily, type Platform } from '../oci/index.js'
import { emptyImage } from './empty.js'
import type { Image, Layer } from './model.js'
import { appendLayers, withConfig, type Addendum } from './mutate.js'

/** Options for layerFromBytes. */
export interface LayerFromBytesOptions {
  /** Compress with gzip (default true): level 6, no file name, mtime 0, so the bytes are deterministic for one zlib. */
  gzip?: boolean
}

/**
 * An in-memory layer over an uncompressed `tar` (for tests and small synthetic layers). Digests
 * are computed at once; streams can be opened any number of times. Media type: OCI tar+gzip,
 * or OCI tar when `gzip: false`.
 */
export function layerFromBytes(tar: Uint8Array, opts: LayerFromBytesOptions = {}): Layer {
  const gzip = opts.gzip ?? true
  const raw = Buffer.from(tar.buffer, tar.byteOffset, tar.byteLength)
  const stored = gzip ? gzipSync(raw, { level: 6 }) : raw
  const digest = sha256(stored)
  const diffId = gzip ? sha256(raw) : digest
  return {
    mediaType: gzip ? MediaTypes.OCI_LAYER_GZIP : MediaTypes.OCI_LAYER,
    digest: async () => digest,
    diffId: async () => diffId,
    size: async () => stored.length,
    compressed: async () => Readable.from([stored]),
    uncompressed: async () => Readable.from([raw]),
  }
}

/** What imageFromParts builds an image from. */
export interface ImageFromPartsOptions {
  platform?: Pick<Platform, 'os' | 'architecture' | 'variant'>
  family?: MediaTypeFamily
  /** The runtime config (Env, Cmd, Labels, …). */
  config?: ContainerConfig
  /** RFC 3339 creation time for the config. */
  created?: string
  layers?: readonly (Layer | Addendum)[]
}

/**
 * An image made of `layers` (base first) on an empty image for `platform` (default
 * linux/amd64), with the given runtime config; lazy and deterministic like every mutation.
 */
export function imageFromParts(opts: ImageFromPartsOptions = {}): Image {
  let img = emptyImage(opts.platform ?? { os: 'linux', architecture: 'amd64' }, opts.family ?? 'oci')
  if (opts.config || opts.created) {
    img = withConfig(img, (c) => {
      if (opts.created) c.created = opts.created
      if (opts.config) c.config = structuredClone(opts.config)
      return c
    })
  }
  const adds = (opts.layers ?? []).map((l): Addendum => ('mediaType' in l ? { layer: l } : l))
  return adds.length ? appendLayers(img, ...adds) : img
}
