/** Builders as a fleet sees them, behind a small interface: `read` (for plan: digest, buildpacks
 * and run image, from the builder's config labels only) and `prepare` (for apply: what a build
 * needs). The label reader here implements `read`; `prepare` comes from lib/distribution's
 * builder support (`lading build --builder`, issue #12) when it is there.
 */
import { isIndex, type Platform } from '../oci/index.js'
import { LABELS, type BuildpackRef } from '../platform/index.js'
import { narrowToImage, readBlob } from '../remote/index.js'
import type { BuildpackStore, OrderInput } from '../buildpack/index.js'
import { LadingError } from '../errors.js'
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
}

/** Reads builders; every implementation caches per name for the run. */
export interface Builders {
  read(name: string): Promise<BuilderInfo>
  /** Absent when this lading cannot build from a builder image. */
  prepare?(name: string): Promise<PreparedBuilder>
}

/** Builders read from their `io.buildpacks.builder.metadata` label (read only). */
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
  const config = JSON.parse((await readBlob(t.repo.blobs, (m.value as { config: Parameters<typeof readBlob>[1] }).config, signal)).toString('utf8')) as { config?: { Labels?: Record<string, string> } }
  const text = config.config?.Labels?.[LABELS.BUILDER_METADATA]
  if (!text) throw new LadingError('ERR_FLEET_BUILDER', `${name} is not a builder: it has no ${LABELS.BUILDER_METADATA} label`)
  let md: { buildpacks?: { id?: string; version?: string }[]; stack?: { runImage?: { image?: string } }; runImages?: { image?: string }[] }
  try {
    md = JSON.parse(text)
  } catch (err) {
    throw new LadingError('ERR_FLEET_BUILDER', `${name}: ${LABELS.BUILDER_METADATA} is not JSON`, { cause: err })
  }
  const runImage = md.runImages?.[0]?.image ?? md.stack?.runImage?.image ?? ''
  const buildpacks = (md.buildpacks ?? []).filter((b) => b.id).map((b) => ({ id: b.id!, version: b.version ?? '' }))
  return { image: name, digest: m.descriptor.digest, buildpacks, runImage }
}
