/** Builders as a fleet sees them, behind a small interface: `read` (for plan: digest, buildpacks
 * and run image, from the builder's config labels only) and `prepare` (for apply: what a build
 * needs). The label reader here implements `read`; the CLI adds `prepare` with the builder
 * support `lading build --builder` uses (root filesystem, buildpack layers fetched by diffID).
 */
import { isIndex, type ImageManifest, type Parsed, type Platform } from '../oci/index.js'
import type { BuildpackRef } from '../platform/index.js'
import { imageFromManifest, narrowToImage } from '../remote/index.js'
import type { BuildpackStore, OrderInput } from '../buildpack/index.js'
import { builderRunImages, readDistributionImage } from '../distribution/index.js'
import type { Opener } from './open.js'

/** What plan needs from a builder. */
export interface BuilderInfo {
  /** The name as declared. */
  image: string
  /** Digest of the builder's manifest for this platform. */
  digest: string
  buildpacks: BuildpackRef[]
  /** The run image the builder names (its first run-images entry). */
  runImage: string
}

/** What a build with a builder needs (buildpacks, order, the build environment). */
export interface PreparedBuilder {
  store: BuildpackStore
  order: OrderInput
  rootfs?: string
  buildPath?: string
  uid?: number
  gid?: number
  /** The builder's /platform/env files (a fleet entry's env wins). */
  platformEnv?: Record<string, string>
  /** The builder's /cnb/build-config/env directory. */
  buildConfigEnvDir?: string
}

/** Reads builders; every implementation caches per name for the run. */
export interface Builders {
  read(name: string): Promise<BuilderInfo>
  /** Absent when this lading cannot build from a builder image. */
  prepare?(name: string): Promise<PreparedBuilder>
}

/** Builders read from their `io.buildpacks.builder.metadata` label (read only; `prepare` is the caller's). */
export function labelBuilders(open: Opener, platform: Platform, signal?: AbortSignal): Builders {
  const cache = new Map<string, Promise<BuilderInfo>>()
  return {
    read(name) {
      let p = cache.get(name)
      if (!p) {
        p = readBuilder(open, name, platform, signal)
        cache.set(name, p)
      }
      return p
    },
  }
}

async function readBuilder(open: Opener, name: string, platform: Platform, signal?: AbortSignal): Promise<BuilderInfo> {
  const t = await open(name)
  const top = await t.repo.manifests.get(t.identifier, signal)
  const m = isIndex(top) ? await narrowToImage(t.repo, top, platform, signal) : top
  // lib/distribution's reader: the same labels `lading build --builder` goes by (config only, no layer).
  const d = await readDistributionImage(imageFromManifest(t.repo, m as Parsed<ImageManifest>), name, 'builder')
  const runImage = (await builderRunImages(d))[0]?.image ?? ''
  const buildpacks = (d.builder?.buildpacks ?? []).map((b) => ({ id: b.id, version: b.version }))
  return { image: name, digest: m.descriptor.digest, buildpacks, runImage }
}
