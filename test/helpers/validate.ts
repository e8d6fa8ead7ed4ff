import { createGunzip } from 'node:zlib'
import type { Readable } from 'node:stream'
import { createHash } from 'node:crypto'
import { sha256, type Digest } from '../../lib/digest/index.js'
import type { Image } from '../../lib/image/index.js'
import {
  MediaTypes, familyOf, isGzipLayerType, isUncompressedLayerType, parseConfig, parseManifest, type MediaType,
} from '../../lib/oci/index.js'

/** Hashes and counts a stream fully. */
export async function hashStream(s: Readable): Promise<{ digest: Digest; size: number }> {
  const h = createHash('sha256')
  let size = 0
  for await (const c of s) {
    h.update(c as Buffer)
    size += (c as Buffer).length
  }
  return { digest: `sha256:${h.digest('hex')}` as Digest, size }
}

const DOCKER_LAYERS = new Set<MediaType>([MediaTypes.DOCKER_LAYER_GZIP, MediaTypes.DOCKER_FOREIGN_LAYER_GZIP])

/**
 * Checks `image` end to end, re-reading every byte: manifest digest/size/parse, config digest/
 * size/parse, each layer's stored digest and size, its diffID (via uncompressed() and, for gzip,
 * by gunzipping the stored bytes), diff_ids count == layers, non-empty history count == layers,
 * and one media type family throughout. Throws an Error with a precise message on the first fault.
 */
export async function validateImage(image: Image): Promise<void> {
  const fail = (msg: string): never => { throw new Error(`validateImage: ${msg}`) }
  const raw = await image.rawManifest()
  const desc = await image.descriptor()
  if (sha256(raw) !== await image.digest()) fail(`digest() ${await image.digest()} != sha256(rawManifest) ${sha256(raw)}`)
  if (desc.digest !== sha256(raw) || desc.size !== raw.length) fail(`descriptor ${JSON.stringify(desc)} does not describe the raw manifest`)
  const parsed = parseManifest(raw)
  if (parsed.descriptor.mediaType !== desc.mediaType) fail(`mediaType() ${desc.mediaType} != parsed ${parsed.descriptor.mediaType}`)
  const manifest = await image.manifest()
  const rawConfig = await image.rawConfig()
  if (sha256(rawConfig) !== manifest.config.digest) fail(`config digest ${manifest.config.digest} != sha256(rawConfig) ${sha256(rawConfig)}`)
  if (rawConfig.length !== manifest.config.size) fail(`config size ${manifest.config.size} != ${rawConfig.length}`)
  const config = parseConfig(rawConfig)
  const family = familyOf(desc.mediaType)
  const wantConfigType = family === 'docker' ? MediaTypes.DOCKER_CONFIG : MediaTypes.OCI_CONFIG
  if (manifest.config.mediaType !== wantConfigType) fail(`${family} manifest has config type ${manifest.config.mediaType}`)
  const layers = await image.layers()
  const diffIds = config.rootfs.diff_ids
  if (diffIds.length !== manifest.layers.length) fail(`${diffIds.length} diff_ids for ${manifest.layers.length} manifest layers`)
  if (layers.length !== manifest.layers.length) fail(`layers() gave ${layers.length} for ${manifest.layers.length} manifest layers`)
  const nonEmpty = (config.history ?? []).filter((h) => !h.empty_layer).length
  if (nonEmpty !== layers.length) fail(`${nonEmpty} non-empty history entries for ${layers.length} layers`)
  for (let i = 0; i < layers.length; i++) {
    const d = manifest.layers[i]!
    const l = layers[i]!
    const at = `layer ${i} (${d.digest})`
    if (family === 'docker' ? !DOCKER_LAYERS.has(d.mediaType) : !d.mediaType.startsWith('application/vnd.oci.image.layer.')) fail(`${at}: ${family} manifest has layer type ${d.mediaType}`)
    if (l.mediaType !== d.mediaType) fail(`${at}: layer mediaType ${l.mediaType} != descriptor ${d.mediaType}`)
    if (await l.digest() !== d.digest || await l.size() !== d.size) fail(`${at}: layer digest/size ${await l.digest()}/${await l.size()} != descriptor ${d.size}`)
    if (await l.diffId() !== diffIds[i]) fail(`${at}: layer diffId ${await l.diffId()} != diff_ids[${i}] ${diffIds[i]}`)
    const stored = await hashStream(await l.compressed())
    if (stored.digest !== d.digest || stored.size !== d.size) fail(`${at}: stored bytes hash to ${stored.digest} (${stored.size} bytes), descriptor says ${d.digest} (${d.size})`)
    const un = await hashStream(await l.uncompressed())
    if (un.digest !== diffIds[i]) fail(`${at}: uncompressed() hashes to ${un.digest}, diff_ids[${i}] is ${diffIds[i]}`)
    if (isGzipLayerType(d.mediaType)) {
      const gz = await hashStream((await l.compressed()).pipe(createGunzip()))
      if (gz.digest !== diffIds[i]) fail(`${at}: gunzipped bytes hash to ${gz.digest}, diff_ids[${i}] is ${diffIds[i]}`)
    } else if (isUncompressedLayerType(d.mediaType) && d.digest !== diffIds[i]) {
      fail(`${at}: uncompressed layer digest differs from its diffID ${diffIds[i]}`)
    }
  }
}
