// Turns buildpacks' layer directories into image layers, layer metadata labels and the next cache's entries.
import { escapeId, type BuildpackDescriptor, type LayerInfo } from '../buildpack/index.js'
import type { Digest } from '../digest/index.js'
import type { Addendum, Image, Layer } from '../image/index.js'
import { layerFromDirectory, type StoredLayer } from '../layer/index.js'
import type { BuildpackLayersMetadata, CacheMetadata, LayersMetadata } from '../platform/index.js'
import type { Built } from './build-phase.js'
import { CNB_PATHS } from './build-context.js'
import type { BuildCache, CacheEntry, StashEntry } from '../cache/index.js'
import { PhaseError } from './errors.js'
import { treeFingerprint } from '../cache/index.js'
import { definedOnly } from '../defined.js'

/** Inputs of buildpackLayers. */
export interface BuildpackLayersInput {
  built: Built
  previous?: { image: Image; metadata: LayersMetadata }
  cache?: BuildCache
  oldCache: CacheMetadata
  uid: number
  gid: number
  storeDir: string
  /** Layers restored from the cache, with their diffID and tree fingerprint at restore time. */
  snapshots?: ReadonlyMap<string, { sha: string; fingerprint: string }>
}

/** Launch layers for the image, the label entries, and the cache's next contents. */
export interface BuildpackLayers {
  adds: Addendum[]
  buildpacks: BuildpackLayersMetadata[]
  cacheEntries: CacheEntry[]
  cacheMetadata: CacheMetadata
  /** `<id>/<layer>` reused from the previous image without re-tarring or uploading. */
  reused: string[]
  /** Cached layer dirs (host paths) with their diffIDs, for a local stash. */
  stashable: StashEntry[]
  warnings: string[]
}

/**
 * Turns each buildpack's layers into image layers and cache entries (cnb-spec.md §4.1 step 3,
 * §4.5). A layer directory is tarred once and the same tar serves the image and the cache. A
 * launch layer kept as metadata only (`launch = true`, no directory) is the previous image's layer,
 * referenced by digest: never downloaded, never uploaded. Exit 60s for layers that cannot be exported.
 */
export async function buildpackLayers(input: BuildpackLayersInput): Promise<BuildpackLayers> {
  const out: BuildpackLayers = { adds: [], buildpacks: [], cacheEntries: [], cacheMetadata: { buildpacks: [] }, reused: [], stashable: [], warnings: [] }
  for (const { bp, outcome } of input.built.outcomes) {
    const md: BuildpackLayersMetadata = definedOnly({ key: bp.id, version: bp.version, layers: {}, store: outcome.store && { metadata: outcome.store.metadata } })
    const cacheMd: BuildpackLayersMetadata = { key: bp.id, version: bp.version, layers: {} }
    const prev = input.previous?.metadata.buildpacks.find((b) => b.key === bp.id)
    const oldCache = input.oldCache.buildpacks.find((b) => b.key === bp.id)
    for (const l of outcome.layers) {
      const { launch, cache, build } = l.types
      if (!launch && !cache) continue
      // A restored layer the buildpack did not touch keeps its diffID: no need to tar it again.
      const snap = l.hasDir ? input.snapshots?.get(l.dir) : undefined
      const fingerprint = snap && await treeFingerprint(l.dir)
      const known = snap && snap.fingerprint === fingerprint ? snap.sha : undefined
      let stored: StoredLayer | undefined
      const tar = async (): Promise<StoredLayer> => (stored ??= await tarLayer(bp, l, input))
      const entry = (sha: string) => definedOnly({ sha, data: l.noMetadata ? undefined : l.metadata, build, launch, cache })
      if (launch) {
        const prevSha = prev?.layers[l.name]?.sha
        const { layer, sha, reused } = known && known === prevSha && input.previous
          ? { layer: await input.previous.image.layerByDiffId(known as Digest), sha: known, reused: true }
          : await launchLayer(bp, l, l.hasDir ? await tar() : undefined, prevSha, input)
        if (reused) out.reused.push(`${bp.id}/${l.name}`)
        out.adds.push({ layer, history: { created_by: `Layer: '${l.name}', Created by buildpack: ${bp.id}@${bp.version}` } })
        md.layers[l.name] = entry(sha)
      }
      if (cache) {
        if (!l.hasDir) {
          out.warnings.push(`layer ${bp.id}/${l.name} is cache=true but has no contents: not cached`)
          continue
        }
        const kept = known && oldCache?.layers[l.name]?.sha === known && input.cache ? await input.cache.reuse(known as Digest) : undefined
        const sha = kept ? known! : (await tar()).diffIdValue
        const old = !kept && oldCache?.layers[l.name]?.sha === sha && input.cache ? await input.cache.reuse(sha as Digest) : undefined
        out.cacheEntries.push({ layer: kept ?? old ?? (await tar()) })
        out.stashable.push(definedOnly({ dir: l.dir, sha, fingerprint }))
        cacheMd.layers[l.name] = entry(sha)
      }
    }
    out.buildpacks.push(md)
    out.cacheMetadata.buildpacks.push(cacheMd)
  }
  return out
}

function tarLayer(bp: BuildpackDescriptor, l: LayerInfo, input: BuildpackLayersInput): Promise<StoredLayer> {
  return layerFromDirectory(l.dir, {
    target: `${CNB_PATHS.layers}/${escapeId(bp.id)}/${l.name}`, uid: input.uid, gid: input.gid, parentUid: input.uid, parentGid: input.gid, storeDir: input.storeDir,
  })
}

async function launchLayer(
  bp: BuildpackDescriptor, l: LayerInfo, stored: StoredLayer | undefined, prevSha: string | undefined, input: BuildpackLayersInput,
): Promise<{ layer: Layer; sha: string; reused: boolean }> {
  const name = `${bp.id}/${l.name}`
  if (stored) {
    // Same diffID as last time: point at the previous image's blob so a push mounts or skips it.
    if (prevSha === stored.diffIdValue && input.previous) return { layer: await input.previous.image.layerByDiffId(prevSha as Digest), sha: prevSha, reused: true }
    return { layer: stored, sha: stored.diffIdValue, reused: false }
  }
  if (l.types.cache) {
    throw new PhaseError('export', 'EXPORT_CACHED_LAUNCH_EMPTY', `layer ${name} is launch=true and cache=true but has no directory: a cached launch layer needs its contents`)
  }
  if (!prevSha || !input.previous) {
    throw new PhaseError('export', 'EXPORT_REUSE_MISSING', `layer ${name} is launch=true with no directory (reuse), but the previous image has no such layer: the buildpack must write ${l.name}/`)
  }
  return { layer: await input.previous.image.layerByDiffId(prevSha as Digest), sha: prevSha, reused: true }
}
