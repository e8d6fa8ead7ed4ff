import { createGunzip } from 'node:zlib'
import type { Readable } from 'node:stream'
import type { Digest } from '../../lib/digest/index.js'
import { toImage, type Image, type Layer } from '../../lib/image/index.js'
import { isGzipLayerType, type Descriptor, type ImageManifest, type Repository } from '../../lib/oci/index.js'

/**
 * Test-side writer/reader of images in any Repository, independent of lib/remote: layers,
 * config, manifest by digest, then each tag.
 */
export async function storeImage(repo: Repository, image: Image, tags: readonly string[]): Promise<Descriptor> {
  const [m, layers] = await Promise.all([image.manifest(), image.layers()])
  await Promise.all(m.layers.map((d, i) => repo.blobs.put(() => layers[i]!.compressed(), d)))
  await repo.blobs.put(await image.rawConfig(), m.config)
  const desc = await image.descriptor()
  await repo.manifests.put(desc.digest, await image.rawManifest(), desc.mediaType)
  for (const t of tags) await repo.manifests.put(t, await image.rawManifest(), desc.mediaType)
  return desc
}

async function readAll(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of s) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

function blobLayer(repo: Repository, d: Descriptor, diffId: Digest): Layer {
  return {
    mediaType: d.mediaType,
    digest: async () => d.digest,
    diffId: async () => diffId,
    size: async () => d.size,
    compressed: () => repo.blobs.open(d),
    uncompressed: async () => {
      const s = await repo.blobs.open(d)
      return isGzipLayerType(d.mediaType) ? s.pipe(createGunzip()) : s
    },
  }
}

/** The image a tag or digest names in `repo` (an image manifest, not an index). */
export async function loadImage(repo: Repository, id: string): Promise<Image> {
  const p = await repo.manifests.get(id)
  const m = p.value as ImageManifest
  return toImage({
    rawManifest: async () => p.bytes,
    rawConfig: async () => readAll(await repo.blobs.open(m.config)),
    layer: (d, diffId) => blobLayer(repo, d, diffId),
  })
}
