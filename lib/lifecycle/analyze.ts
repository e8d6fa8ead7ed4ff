/** The analyze phase: the run image, the previous image's metadata and the cache metadata. */
import type { RunTarget } from '../buildpack/index.js'
import { wrapError } from '../errors.js'
import type { Image } from '../image/index.js'
import type { Platform, Repository } from '../oci/index.js'
import {
  decodeLifecycleMetadata, LABELS, targetFromImageConfig, type CacheMetadata, type LayersMetadata,
} from '../platform/index.js'
import { fetchImage, isNotFound } from '../remote/index.js'
import { REF_NAME_ANNOTATION } from '../layout/index.js'
import type { BuildCache } from '../cache/index.js'
import { PhaseError } from './errors.js'
import { definedOnly } from '../defined.js'

/** An image location: repository plus tag or digest, and how the user named it. */
export interface ImageSource { repo: Repository; identifier: string; display: string }

/** What analyze found (cnb-spec.md §5.1). */
export interface Analyzed {
  runImage: Image
  /** `<repo>@<digest>` of the platform-specific run image manifest (runImage.reference). */
  runReference: string
  runTarget: RunTarget
  /**
   * For a run image in an OCI layout: the name to record as runImage.image, never `oci:/dir`
   * (a path means nothing on another machine): the entry's ref-name annotation, else the digest.
   */
  layoutRunName?: string
  previous?: { image: Image; metadata: LayersMetadata }
  cache: CacheMetadata
  warnings: string[]
}

/** Inputs of analyze. */
export interface AnalyzeInput {
  run: ImageSource
  previous?: ImageSource
  cache?: BuildCache
  clearCache: boolean
  platform?: Platform
}

/**
 * Reads the run image (must exist: exit 30s otherwise), the previous image's lifecycle metadata
 * (absent is fine: a first build), and the cache metadata. Reads manifests, configs and labels only.
 */
export async function analyze(input: AnalyzeInput, signal?: AbortSignal): Promise<Analyzed> {
  const warnings: string[] = []
  const opts = definedOnly({ platform: input.platform, signal })
  let runImage: Image
  let t
  try {
    runImage = await fetchImage(input.run.repo, input.run.identifier, opts)
    t = targetFromImageConfig(await runImage.config())
  } catch (err) {
    throw new PhaseError('analyze', 'ANALYZE_RUN_IMAGE', wrapError(`run image ${input.run.display}`, err).message, { cause: err })
  }
  const runTarget: RunTarget = definedOnly({ os: t.os, arch: t.arch, variant: t.archVariant || undefined, distro: t.distro })
  const runReference = `${input.run.repo.name}@${await runImage.digest()}`
  // The manifest the label records: the app's first rebase proves its old base from this copy.
  const keep = input.run.repo.manifests.keep
  if (keep) {
    const [value, bytes, descriptor] = await Promise.all([runImage.manifest(), runImage.rawManifest(), runImage.descriptor()])
    await keep.call(input.run.repo.manifests, { value, bytes, descriptor })
  }
  let layoutRunName: string | undefined
  if (input.run.repo.name.startsWith('oci:')) {
    const desc = await input.run.repo.manifests.resolve(input.run.identifier)
    layoutRunName = desc?.annotations?.[REF_NAME_ANNOTATION] ?? await runImage.digest()
  }
  const previous = input.previous ? await readPrevious(input.previous, warnings, opts) : undefined
  let cache: CacheMetadata = { buildpacks: [] }
  if (input.cache && !input.clearCache) {
    try {
      cache = await input.cache.metadata()
    } catch (err) {
      throw new PhaseError('analyze', 'ANALYZE_CACHE', wrapError(`cache ${input.cache.describe()}`, err).message, { cause: err })
    }
  }
  return definedOnly({ runImage, runReference, runTarget, layoutRunName: layoutRunName || undefined, previous, cache, warnings })
}

async function readPrevious(src: ImageSource, warnings: string[], opts: { platform?: Platform; signal?: AbortSignal }): Promise<Analyzed['previous']> {
  let image: Image
  try {
    image = await fetchImage(src.repo, src.identifier, opts)
  } catch (err) {
    if (isNotFound(err)) return undefined // a first build: nothing to reuse
    throw new PhaseError('analyze', 'ANALYZE_PREVIOUS_IMAGE', wrapError(`previous image ${src.display}`, err).message, { cause: err })
  }
  const label = (await image.config()).config?.Labels?.[LABELS.LIFECYCLE_METADATA]
  if (!label) {
    warnings.push(`previous image ${src.display} has no ${LABELS.LIFECYCLE_METADATA} label: nothing to reuse`)
    return undefined
  }
  try {
    const decoded = decodeLifecycleMetadata(label)
    warnings.push(...decoded.warnings)
    return { image, metadata: decoded.value }
  } catch (err) {
    // The lifecycle treats an undecodable label as empty; so do we, loudly.
    warnings.push(`previous image ${src.display}: ${(err as Error).message}; nothing reused`)
    return undefined
  }
}
