// Copies an image (or index) between any two stores: blobs skipped, mounted or streamed, manifests last.
import pLimit from 'p-limit'
import { wrapError } from '../errors.js'
import {
  hostPlatform, isIndex, isForeignLayerType, type Descriptor, type ImageIndex, type ImageManifest, type Parsed,
  type Platform, type Repository, type TransferEvent,
} from '../oci/index.js'
import { narrowToImage } from './fetch-image.js'
import { allOrStop, putBlob } from './push-image.js'
import { mountSources } from './mount-sources.js'

/** Options for copyImage. */
export interface CopyOptions {
  /** Copy a whole index with every child; otherwise one platform's image. */
  allPlatforms?: boolean
  platform?: Platform
  concurrency?: number
  onProgress?: (e: TransferEvent) => void
  signal?: AbortSignal
}

/**
 * Copies `srcId` from `src` to `dst` and tags it; returns the descriptor of what was written.
 * Manifests are copied as their exact bytes, so digests are kept. Blobs already in `dst` are
 * skipped; inside one registry they are mounted, so no blob byte moves.
 */
export async function copyImage(
  src: Repository, srcId: string, dst: Repository, tags: readonly string[], opts: CopyOptions = {},
): Promise<Descriptor> {
  const top = await src.manifests.get(srcId, opts.signal)
  const root = isIndex(top) && !opts.allPlatforms
    ? await narrowToImage(src, top, opts.platform ?? hostPlatform(), opts.signal)
    : top
  const limit = pLimit(Math.max(1, opts.concurrency ?? 4))
  // One tag: the root goes by that tag only, since one PUT either moves it or not (the registry
  // stores it by digest as well); with several, by digest first so no tag moves before all can.
  await copyTree(src, dst, root, limit, opts, tags.length !== 1)
  for (const tag of tags) await putManifest(dst, tag, root, opts.signal)
  return root.descriptor
}

type Limit = ReturnType<typeof pLimit>

/** Copies everything a manifest refers to, then (unless `byDigest` is false) the manifest itself by digest (children first). */
async function copyTree(
  src: Repository, dst: Repository, node: Parsed<ImageManifest | ImageIndex>, limit: Limit, opts: CopyOptions, byDigest = true,
): Promise<void> {
  if (isIndex(node)) {
    const index = node.value as ImageIndex
    // Children one after another: each child's blobs already fan out through `limit`.
    for (const child of index.manifests) {
      const parsed = await src.manifests.get(child.digest, opts.signal)
      await copyTree(src, dst, parsed, limit, opts)
    }
  } else {
    const m = node.value as ImageManifest
    const blobs = [m.config, ...m.layers.filter((l) => !isForeignLayerType(l.mediaType))]
    const from = mountSources([src.name], dst.name)
    await allOrStop(opts.signal, blobs.map((d) => (signal: AbortSignal) => limit(() => copyBlob(src, dst, d, from, { ...opts, signal }))))
  }
  if (byDigest) await putManifest(dst, node.descriptor.digest, node, opts.signal)
}

/** Puts `node`'s exact bytes under `ref`; the error says which manifest went where. */
async function putManifest(dst: Repository, ref: string, node: Parsed<ImageManifest | ImageIndex>, signal?: AbortSignal): Promise<void> {
  try {
    await dst.manifests.put(ref, node.bytes, node.descriptor.mediaType, signal)
  } catch (err) {
    throw wrapError(`push manifest ${ref} to ${dst.name}`, err)
  }
}

async function copyBlob(src: Repository, dst: Repository, d: Descriptor, mountFrom: readonly string[], opts: CopyOptions): Promise<void> {
  // A layout's blob file is read in place by a registry upload: bounded memory, resumable from any offset.
  const file = src.blobs.path?.(d.digest)
  // The source holds every blob it lists, so inside one registry a mount comes before any HEAD.
  await putBlob(dst, () => src.blobs.open(d, opts.signal), d, { mountFrom, mountFirst: true, ...(file ? { file } : {}) }, opts)
}
