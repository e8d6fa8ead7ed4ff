/** Parsing manifests, indexes and configs (image-spec manifest.md, image-index.md, config.md).
 * Raw bytes are kept and hashed as received: a parsed document is never re-serialised.
 */
import { isDigest, sha256 } from '../digest/index.js'
import { InvalidManifestError, UnsupportedMediaTypeError } from './errors.js'
import { MediaTypes, isImageManifestType, isIndexType, isSchema1Type, type MediaType } from './media-type.js'
import type { Descriptor, ImageConfig, ImageIndex, ImageManifest, Parsed } from './types.js'

type Json = Record<string, unknown>

const decoder = new TextDecoder('utf-8', { fatal: true })
const encoder = new TextEncoder()

/** Encodes what lading authors as compact JSON in the object's own key order (callers build objects in a fixed order). */
export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value))
}

/** Parses JSON bytes into an object; throws InvalidManifestError for bad UTF-8, bad JSON or a non-object. */
export function parseJsonObject(bytes: Uint8Array, what: string): Json {
  let v: unknown
  try {
    v = JSON.parse(decoder.decode(bytes))
  } catch (err) {
    throw new InvalidManifestError('', `${what} is not valid JSON: ${(err as Error).message}`, { cause: err })
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InvalidManifestError('', `${what} is not a JSON object`)
  return v as Json
}

/**
 * Parses manifest or index bytes; the media type comes from the body's `mediaType`, else from
 * a manifest/index `contentType` (parameters ignored; generic types skipped), else from the shape (`manifests` → index, `config` +
 * `layers` → manifest). Returns the value, the bytes and their descriptor (digest of the bytes).
 * Throws UnsupportedMediaTypeError for schema1 and unknown kinds, InvalidManifestError otherwise.
 */
export function parseManifest(bytes: Uint8Array, contentType?: string): Parsed<ImageManifest | ImageIndex> {
  const ct = contentType?.split(';')[0]?.trim().toLowerCase() || undefined
  if (isSchema1Type(ct)) throw new UnsupportedMediaTypeError(ct!, 'Docker schema1 manifests are not supported; re-push the image with a current client')
  const o = parseJsonObject(bytes, 'manifest')
  if (o.schemaVersion === 1) throw new UnsupportedMediaTypeError(typeof o.mediaType === 'string' ? o.mediaType : MediaTypes.DOCKER_SCHEMA1, 'Docker schema1 manifests are not supported')
  if (o.mediaType !== undefined && typeof o.mediaType !== 'string') throw new InvalidManifestError('mediaType', 'must be a string')
  // A generic content type (application/json, octet-stream) says nothing: sniff the body instead.
  const hint = ct && (isIndexType(ct) || isImageManifestType(ct)) ? ct : undefined
  const mediaType = (o.mediaType as string | undefined) ?? hint ?? sniff(o)
  if (isSchema1Type(mediaType)) throw new UnsupportedMediaTypeError(mediaType, 'Docker schema1 manifests are not supported')
  if (o.schemaVersion !== 2) throw new InvalidManifestError('schemaVersion', `must be 2, got ${JSON.stringify(o.schemaVersion)}`)
  if (isIndexType(mediaType)) {
    checkIndex(o)
  } else if (isImageManifestType(mediaType)) {
    checkManifest(o)
  } else {
    throw new UnsupportedMediaTypeError(mediaType, 'expected an image manifest or an index')
  }
  return {
    value: o as unknown as ImageManifest | ImageIndex,
    bytes,
    descriptor: { mediaType, digest: sha256(bytes), size: bytes.length },
  }
}

/** True when the parsed document is an index (OCI index or Docker manifest list). */
export function isIndex(p: Parsed<ImageManifest | ImageIndex>): p is Parsed<ImageIndex> {
  return isIndexType(p.descriptor.mediaType)
}

function sniff(o: Json): MediaType {
  if (Array.isArray(o.manifests)) return MediaTypes.OCI_INDEX
  if (o.config !== undefined && Array.isArray(o.layers)) {
    const cfg = o.config as Json | null
    return cfg && cfg.mediaType === MediaTypes.DOCKER_CONFIG ? MediaTypes.DOCKER_MANIFEST : MediaTypes.OCI_MANIFEST
  }
  throw new InvalidManifestError('mediaType', 'absent, and the body is neither an index (manifests[]) nor a manifest (config + layers[])')
}

function checkManifest(o: Json): void {
  checkDescriptor(o.config, 'config')
  if (!Array.isArray(o.layers)) throw new InvalidManifestError('layers', 'must be an array')
  o.layers.forEach((d, i) => checkDescriptor(d, `layers[${i}]`))
  if (o.subject !== undefined) checkDescriptor(o.subject, 'subject')
  checkStringMap(o.annotations, 'annotations')
}

function checkIndex(o: Json): void {
  if (!Array.isArray(o.manifests)) throw new InvalidManifestError('manifests', 'must be an array')
  o.manifests.forEach((d, i) => checkDescriptor(d, `manifests[${i}]`))
  if (o.subject !== undefined) checkDescriptor(o.subject, 'subject')
  checkStringMap(o.annotations, 'annotations')
}

/** Checks one descriptor's required fields; `field` names it in errors (e.g. `layers[2]`). */
export function checkDescriptor(d: unknown, field: string): asserts d is Descriptor {
  if (typeof d !== 'object' || d === null || Array.isArray(d)) throw new InvalidManifestError(field, 'must be a descriptor object')
  const o = d as Json
  if (typeof o.mediaType !== 'string' || o.mediaType === '') throw new InvalidManifestError(`${field}.mediaType`, 'must be a non-empty string')
  if (typeof o.digest !== 'string' || !isDigest(o.digest)) throw new InvalidManifestError(`${field}.digest`, `${JSON.stringify(o.digest)} is not a valid digest`)
  if (typeof o.size !== 'number' || !Number.isSafeInteger(o.size) || o.size < 0) throw new InvalidManifestError(`${field}.size`, `${JSON.stringify(o.size)} is not a non-negative integer`)
  if (o.urls !== undefined && (!Array.isArray(o.urls) || !o.urls.every((u) => typeof u === 'string'))) throw new InvalidManifestError(`${field}.urls`, 'must be an array of strings')
  checkStringMap(o.annotations, `${field}.annotations`)
  if (o.platform !== undefined) {
    const p = o.platform as Json | null
    if (!p || typeof p.os !== 'string' || typeof p.architecture !== 'string') throw new InvalidManifestError(`${field}.platform`, 'must have string os and architecture')
  }
}

function checkStringMap(m: unknown, field: string): void {
  if (m === undefined || m === null) return
  if (typeof m !== 'object' || Array.isArray(m) || !Object.values(m).every((v) => typeof v === 'string')) {
    throw new InvalidManifestError(field, 'must be a map of strings')
  }
}

/**
 * Parses and validates image config bytes (architecture, os, rootfs.diff_ids required). Optional
 * top-level fields that are `null` are dropped (null ≡ absent); unknown fields are kept.
 * Throws InvalidManifestError naming the field.
 */
export function parseConfig(bytes: Uint8Array): ImageConfig {
  const o = parseJsonObject(bytes, 'image config')
  for (const k of Object.keys(o)) if (o[k] === null) delete o[k]
  if (typeof o.architecture !== 'string') throw new InvalidManifestError('config.architecture', 'must be a string')
  if (typeof o.os !== 'string') throw new InvalidManifestError('config.os', 'must be a string')
  const rootfs = o.rootfs as Json | undefined
  if (typeof rootfs !== 'object' || rootfs === null) throw new InvalidManifestError('config.rootfs', 'is required')
  if (rootfs.type !== 'layers') throw new InvalidManifestError('config.rootfs.type', `must be "layers", got ${JSON.stringify(rootfs.type)}`)
  // Docker omits an empty diff_ids list for scratch images.
  if (rootfs.diff_ids === undefined || rootfs.diff_ids === null) rootfs.diff_ids = []
  if (!Array.isArray(rootfs.diff_ids)) throw new InvalidManifestError('config.rootfs.diff_ids', 'must be an array')
  rootfs.diff_ids.forEach((d, i) => {
    if (typeof d !== 'string' || !isDigest(d)) throw new InvalidManifestError(`config.rootfs.diff_ids[${i}]`, `${JSON.stringify(d)} is not a valid digest`)
  })
  if (o.history !== undefined && !Array.isArray(o.history)) throw new InvalidManifestError('config.history', 'must be an array')
  return o as ImageConfig
}
