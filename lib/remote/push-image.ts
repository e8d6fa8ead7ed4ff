// Pushes an image to a store: layers (skipped, mounted or uploaded), config, manifest by digest, then tags.
import { setMaxListeners } from 'node:events'
import pLimit from 'p-limit'
import { wrapError } from '../errors.js'
import type { Image, Layer } from '../image/index.js'
import { isForeignLayerType, type Descriptor, type Repository, type TransferEvent } from '../oci/index.js'
import { mountSources } from './mount-sources.js'

/** Options for pushImage. */
export interface PushImageOptions {
  /** Blob uploads in flight at once (default 4, as ggcr's `jobs`). */
  concurrency?: number
  onProgress?: (e: TransferEvent) => void
  signal?: AbortSignal
  /** Extra repositories (`registry/repo`) to try mounting every layer from. */
  mountFrom?: readonly string[]
}

/**
 * Per-blob extra options a registry store understands; a layout store ignores them. `file`: a
 * local file with exactly the blob's bytes, which the upload reads in place (see RegistryPutOptions).
 */
interface PutExtras { mountFrom?: readonly string[]; file?: string; mountFirst?: boolean }

/**
 * Pushes `image` to `repo` and points each of `tags` at it; returns the manifest descriptor.
 * Order (containers/image): layers (concurrently; existing skipped, same-registry sources
 * mounted), config, manifest by digest, then tags — so a failure part-way never moves a tag.
 */
export async function pushImage(repo: Repository, image: Image, tags: readonly string[], opts: PushImageOptions = {}): Promise<Descriptor> {
  const desc = await pushImageContent(repo, image, opts)
  for (const tag of tags) {
    await putManifestBytes(repo, tag, await image.rawManifest(), desc.mediaType, opts.signal)
  }
  return desc
}

/** Pushes layers, config and the manifest by digest, but moves no tag. */
export async function pushImageContent(repo: Repository, image: Image, opts: PushImageOptions = {}): Promise<Descriptor> {
  const [manifest, layers] = await Promise.all([image.manifest(), image.layers()])
  const limit = pLimit(Math.max(1, opts.concurrency ?? 4))
  await allOrStop(opts.signal, manifest.layers.map((d, i) => (signal: AbortSignal) => limit(async () => {
    if (isForeignLayerType(d.mediaType)) return // foreign layers are fetched from their urls, never uploaded
    await pushLayer(repo, layers[i]!, d, { ...opts, signal })
  })))
  const config = await image.rawConfig()
  await putBlob(repo, config, manifest.config, {}, opts)
  const desc = await image.descriptor()
  await putManifestBytes(repo, desc.digest, await image.rawManifest(), desc.mediaType, opts.signal)
  return desc
}

async function pushLayer(repo: Repository, layer: Layer, d: Descriptor, opts: PushImageOptions): Promise<void> {
  const mountFrom = mountSources([...(layer.sources?.() ?? []), ...(opts.mountFrom ?? [])], repo.name)
  await putBlob(repo, () => layer.compressed(opts.signal), d, { mountFrom }, opts)
}

/** Puts one blob, skipping it in stores that cannot mount when it already exists. */
export async function putBlob(
  repo: Repository, body: Uint8Array | (() => ReturnType<Layer['compressed']>), d: Descriptor, extras: PutExtras,
  opts: PushImageOptions,
): Promise<void> {
  try {
    if (!repo.blobs.mount) {
      // Layouts have no HEAD round trip to save: check locally before reading the source.
      if (await repo.blobs.stat(d.digest, opts.signal)) {
        opts.onProgress?.({ digest: d.digest, kind: 'exists', bytes: d.size, total: d.size, done: true })
        return
      }
    }
    const putOpts = { signal: opts.signal, onProgress: opts.onProgress, ...extras }
    await repo.blobs.put(body, { digest: d.digest, size: d.size, mediaType: d.mediaType }, putOpts)
  } catch (err) {
    throw wrapError(`push blob ${d.digest} to ${repo.name}`, err)
  }
}

/**
 * Runs every job and waits for all of them. The first failure is what is thrown, and it aborts the
 * signal the other jobs got, so their uploads stop at their next chunk boundary and keep their
 * sessions for the next run. (Promise.all would return at the first failure while other uploads
 * still run: a caller then closing its connections or exiting cuts a chunk in flight, and
 * distribution forgets a session whose chunk was cut.) `signal` aborting aborts them all.
 */
export async function allOrStop<T>(signal: AbortSignal | undefined, jobs: ReadonlyArray<(signal: AbortSignal) => Promise<T>>): Promise<T[]> {
  const c = new AbortController()
  // Every job (an image's layers: often more than Node's default of 10) listens on this one signal.
  setMaxListeners(0, c.signal)
  const onAbort = (): void => c.abort(signal!.reason)
  if (signal?.aborted) c.abort(signal.reason)
  else signal?.addEventListener('abort', onAbort, { once: true })
  let first: { err: unknown } | undefined
  try {
    const results = await Promise.allSettled(jobs.map((job) => job(c.signal).catch((err: unknown) => {
      first ??= { err }
      if (!c.signal.aborted) c.abort(err)
      throw err
    })))
    if (first) throw first.err
    return results.map((r) => (r as PromiseFulfilledResult<T>).value)
  } finally {
    signal?.removeEventListener('abort', onAbort)
  }
}

async function putManifestBytes(repo: Repository, ref: string, bytes: Uint8Array, mediaType: string, signal?: AbortSignal): Promise<void> {
  try {
    await repo.manifests.put(ref, bytes, mediaType, signal)
  } catch (err) {
    throw wrapError(`push manifest ${ref} to ${repo.name}`, err)
  }
}
