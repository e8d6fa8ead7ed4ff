// Serialises authored images from their parts (config, layers, family) into deterministic manifest bytes.
import { sha256 } from '../digest/index.js'
import {
  configTypeOf, encodeJson, familyOf, layerTypeFor, manifestTypeOf,
  type Descriptor, type ImageConfig, type ImageManifest, type MediaType, type MediaTypeFamily,
} from '../oci/index.js'
import { memo, toImage } from './derive.js'
import { InvalidMutationError } from './errors.js'
import type { Image, Layer } from './model.js'

/** Everything an authored image is made of; `config.rootfs.diff_ids` pairs with `layers` by position. */
export interface ImageParts {
  family: MediaTypeFamily
  config: ImageConfig
  layers: { descriptor: Descriptor; layer: Layer }[]
  subject?: Descriptor
  annotations?: Record<string, string>
  /** The config bytes `config` was parsed from: reused while the config is unchanged, so its digest stays. */
  original?: { rawConfig: Uint8Array; json: string }
}

/**
 * An Image whose manifest and config are serialised from `compute()` on first use, once. Key
 * order is fixed (schemaVersion, mediaType, config, layers, subject, annotations), so equal
 * parts give equal bytes. Layer descriptors take the family's layer media types.
 */
export function imageFromComputedParts(compute: () => Promise<ImageParts>): Image {
  let layers: Layer[] = []
  const built = memo(async () => {
    const parts = await compute()
    if (parts.config.rootfs.diff_ids.length !== parts.layers.length) {
      throw new InvalidMutationError(`config has ${parts.config.rootfs.diff_ids.length} diff_ids for ${parts.layers.length} layers`)
    }
    const json = JSON.stringify(parts.config)
    const rawConfig = parts.original?.json === json ? parts.original.rawConfig : encodeJson(parts.config)
    const descs = parts.layers.map((l) => familyDescriptor(l.descriptor, parts.family))
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: manifestTypeOf(parts.family),
      config: { mediaType: configTypeOf(parts.family), digest: sha256(rawConfig), size: rawConfig.length },
      layers: descs,
    }
    if (parts.subject) manifest.subject = parts.subject
    if (parts.annotations && Object.keys(parts.annotations).length) manifest.annotations = parts.annotations
    layers = parts.layers.map((l, i) => withMediaType(l.layer, descs[i]!.mediaType))
    return { rawConfig, rawManifest: encodeJson(manifest) }
  })
  return toImage({
    rawManifest: async () => (await built()).rawManifest,
    rawConfig: async () => (await built()).rawConfig,
    // toImage asks for layers only after the manifest resolved, so `layers` is filled by then.
    layer: (_d, _diffId, i) => layers[i]!,
  })
}

/** The parts of an existing image, with a deep copy of its config so edits never reach `base`. */
export async function partsOf(base: Image): Promise<ImageParts> {
  const [manifest, config, rawConfig, layers] = await Promise.all([base.manifest(), base.config(), base.rawConfig(), base.layers()])
  // A config is JSON data: its JSON text, needed anyway, makes the deep copy (cheaper than structuredClone).
  const json = JSON.stringify(config)
  const parts: ImageParts = {
    family: familyOf(manifest.mediaType ?? (await base.mediaType())),
    config: JSON.parse(json) as ImageConfig,
    layers: manifest.layers.map((descriptor, i) => ({ descriptor, layer: layers[i]! })),
    original: { rawConfig, json },
  }
  if (manifest.subject) parts.subject = manifest.subject
  if (manifest.annotations) parts.annotations = { ...manifest.annotations }
  return parts
}

/** `d` rewritten in the fixed key order with the family's layer media type. */
function familyDescriptor(d: Descriptor, family: MediaTypeFamily): Descriptor {
  const out: Descriptor = { mediaType: layerTypeFor(d.mediaType, family), digest: d.digest, size: d.size }
  if (d.urls?.length) out.urls = d.urls
  if (d.annotations && Object.keys(d.annotations).length) out.annotations = d.annotations
  return out
}

/** `layer` presented with media type `mt` (a family conversion); the same object when equal. */
export function withMediaType(layer: Layer, mt: MediaType): Layer {
  if (layer.mediaType === mt) return layer
  const out: Layer = {
    mediaType: mt,
    digest: () => layer.digest(),
    diffId: () => layer.diffId(),
    size: () => layer.size(),
    compressed: (signal) => layer.compressed(signal),
    uncompressed: (signal) => layer.uncompressed(signal),
  }
  if (layer.descriptorExtras) out.descriptorExtras = () => layer.descriptorExtras!()
  if (layer.sources) out.sources = () => layer.sources!()
  return out
}

/** The manifest descriptor for `layer`: digest, size and type from the layer, plus its extras and `annotations`. */
export async function layerDescriptor(layer: Layer, annotations?: Record<string, string>): Promise<Descriptor> {
  const [digest, size] = await Promise.all([layer.digest(), layer.size()])
  const extras = layer.descriptorExtras?.() ?? {}
  const d: Descriptor = { mediaType: layer.mediaType, digest, size }
  if (extras.urls?.length) d.urls = extras.urls
  const ann = { ...extras.annotations, ...annotations }
  if (Object.keys(ann).length) d.annotations = ann
  return d
}
