/** Run images for rebase, fetched once per process: a fleet of images built on the same run
 * image reads its manifest and config one time, whatever the concurrency.
 */
import { isDigest, type Digest } from '../digest/index.js'
import { LadingError } from '../errors.js'
import type { Image } from '../image/index.js'
import type { ImageConfig, ImageIndex, ImageManifest, Parsed, Platform, Repository } from '../oci/index.js'
import { imageFromManifest, isNotFound, narrowToImage } from '../remote/index.js'
import { HeldBlobs } from './held-blobs.js'
import { PushHints } from './push-hints.js'

/** Opens an image name (registry reference or oci:DIR[:TAG]) as a repository plus tag/digest. */
export type OpenImage = (name: string) => Promise<{ repo: Repository; identifier: string }>

/** A run image resolved to one platform's manifest. */
export interface RunImage {
  /** The name it was resolved from, as written. */
  name: string
  repo: Repository
  image: Image
  config: ImageConfig
  /** Digest of the platform-specific manifest. */
  digest: Digest
  /** `<repo>@<digest>`: the value for `runImage.reference`. */
  reference: string
}

const UNREADABLE = new Set(['ERR_REGISTRY_UNAUTHORIZED', 'ERR_REGISTRY_DENIED', 'ERR_REGISTRY_UNREACHABLE'])

function unreadable(err: unknown): boolean {
  if (isNotFound(err)) return true
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    if (e instanceof LadingError && UNREADABLE.has(e.code)) return true
  }
  return false
}

interface Top { repo: Repository; parsed: Parsed<ImageManifest | ImageIndex> }

/**
 * Caches run image lookups by name (top manifest) and by name + platform (image and config).
 * Failed lookups are cached too, so a fleet does not hammer a missing image. Safe to share
 * between concurrent rebases.
 */
export class RunImageCache {
  readonly #open: OpenImage
  readonly #signal: AbortSignal | undefined
  readonly #tops = new Map<string, Promise<Top>>()
  readonly #images = new Map<string, Promise<RunImage>>()
  /** Number of distinct top-level manifests fetched (for tests and benchmarks). */
  fetches = 0
  /** Blobs each repository is known to hold in this run (shared, like the run images, by a whole fleet). */
  readonly held = new HeldBlobs()
  /** What earlier images of this run showed about configs and base layers being there already. */
  readonly hints = new PushHints()

  constructor(open: OpenImage, signal?: AbortSignal) {
    this.#open = open
    this.#signal = signal
  }

  /** `kept`: a manifest named by digest may come from this machine's copy (RunImageCache.recorded). */
  #top(name: string, kept = false): Promise<Top> {
    let p = this.#tops.get(name)
    if (!p) {
      p = (async () => {
        const { repo, identifier } = await this.#open(name)
        const hit = kept && isDigest(identifier) ? await repo.manifests.getCached?.(identifier) : undefined
        if (hit) return { repo, parsed: hit }
        this.fetches++
        return { repo, parsed: await repo.manifests.get(identifier, this.#signal) }
      })()
      this.#tops.set(name, p)
    }
    return p
  }

  /**
   * Returns true when `name` can be read; false when it does not exist or the registry refuses
   * or cannot be reached. Other errors (a malformed name, a broken manifest) are thrown.
   */
  async readable(name: string): Promise<boolean> {
    try {
      await this.#top(name)
      return true
    } catch (err) {
      if (unreadable(err)) return false
      throw err
    }
  }

  /**
   * Starts reading `name` now, for a caller that expects to need it (`--run-image`, or the run
   * image an app was last rebased onto): later calls share the read. Its failure is left for
   * those calls to see; unasked, it is dropped.
   */
  prefetch(name: string): void {
    this.#top(name).catch(() => {})
  }

  /** Returns `name` resolved for `platform` (an index is narrowed; a single manifest is taken as is). */
  resolve(name: string, platform: Platform): Promise<RunImage> {
    return this.#resolve(name, platform, false)
  }

  #resolve(name: string, platform: Platform, kept: boolean): Promise<RunImage> {
    const key = `${name}\n${platform.os}/${platform.architecture}/${platform.variant ?? ''}`
    let p = this.#images.get(key)
    if (!p) {
      p = (async () => {
        const { repo, parsed } = await this.#top(name, kept)
        const child = await narrowToImage(repo, parsed, platform, this.#signal)
        const image = imageFromManifest(repo, child, this.#signal)
        // The manifest a rebased image's label will record: the next rebase reads it from here.
        const [config] = await Promise.all([image.config(), repo.manifests.keep?.(child)])
        return { name, repo, image, config, digest: child.descriptor.digest, reference: `${repo.name}@${child.descriptor.digest}` }
      })()
      this.#images.set(key, p)
    }
    return p
  }

  /**
   * Returns the image at a recorded `repo@sha256:…` reference, or undefined when it cannot be
   * read (deleted, another registry out of reach): the caller then proves the old base by its
   * top layer alone. The digest names the content, so a copy kept on this machine (a run image
   * an earlier rebase or build read) serves without a request.
   */
  async recorded(reference: string, platform: Platform): Promise<RunImage | undefined> {
    try {
      return await this.#resolve(reference, platform, true)
    } catch (err) {
      if (unreadable(err)) return undefined
      throw err
    }
  }
}
