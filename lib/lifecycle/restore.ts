/** The restore phase: layer metadata and cached layers back into the layers dir, as the lifecycle's restorer writes them. */
import { mkdir, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { escapeId, formatStoreToml, writeRestoredLayerMetadata, type BuildpackDescriptor, type Table } from '../buildpack/index.js'
import type { Digest } from '../digest/index.js'
import { wrapError } from '../errors.js'
import type { Image } from '../image/index.js'
import { extractLayer } from '../layer/index.js'
import type { BuildpackLayerMetadata, CacheMetadata, LayersMetadata } from '../platform/index.js'
import type { BuildCache, LayerStash } from '../cache/index.js'
import { PhaseError } from './errors.js'
import { treeFingerprint } from '../cache/index.js'
import { restoreSboms, type SbomSource } from './restore-sbom.js'
import type { BuildDirs } from './workspace.js'

/** Inputs of restore. */
export interface RestoreInput {
  group: readonly BuildpackDescriptor[]
  dirs: BuildDirs
  previous?: LayersMetadata
  /** The previous image, for its SBOM layer (`previous.sbom`). */
  previousImage?: Image
  cacheMetadata: CacheMetadata
  cache?: BuildCache
  /** Layer dirs kept on this machine from the last build, tried before the cache. */
  stash?: LayerStash
}

/** What restore did, per `<buildpack>/<layer>`. */
export interface Restored {
  metadataOnly: string[]
  fromCache: string[]
  /** Restored layer dir (host path) → its diffID and tree fingerprint right after extraction. */
  snapshots: Map<string, { sha: Digest; fingerprint: string }>
  /** `<id>/<layer>.sbom.<ext>` files put back from the previous build. */
  sboms: string[]
  warnings: string[]
}

/**
 * Restores layer metadata and cached layer contents (cnb-spec.md §5.2, the lifecycle's table):
 * launch-only layers get their `<layer>.toml` ([metadata] only) and no contents, so a buildpack
 * can keep them and the exporter reuses them by digest; launch+cache layers come back from the
 * cache only when its diffID equals the app image's; cache-only layers come from the cache.
 * store.toml is restored from the previous image, and per-layer SBOM files from the cache's and
 * the previous image's SBOM layers (restore-sbom.ts). Exit 40s on failure.
 */
export async function restore(input: RestoreInput): Promise<Restored> {
  const out: Restored = { metadataOnly: [], fromCache: [], snapshots: new Map(), sboms: [], warnings: [] }
  try {
    for (const bp of input.group) {
      const dir = join(input.dirs.layers, escapeId(bp.id))
      await mkdir(dir, { recursive: true })
      const prev = input.previous?.buildpacks.find((b) => b.key === bp.id)
      const cached = input.cacheMetadata.buildpacks.find((b) => b.key === bp.id)
      if (prev?.store) await writeFile(join(dir, 'store.toml'), formatStoreToml(prev.store.metadata as Table))
      const names = new Set([...Object.keys(prev?.layers ?? {}), ...Object.keys(cached?.layers ?? {})])
      for (const name of [...names].sort()) {
        const app = prev?.layers[name]
        const c = cached?.layers[name]
        const source = pick(app, c)
        if (!source) continue
        const key = `${bp.id}/${name}`
        if (source.contents) {
          if (!await restoreContents(input, source.meta.sha as Digest, join(dir, name), key, out)) continue
          out.fromCache.push(key)
        } else {
          out.metadataOnly.push(key)
        }
        await writeRestoredLayerMetadata(join(dir, `${name}.toml`), source.meta.data === undefined || source.meta.data === null ? undefined : source.meta.data as Table)
      }
    }
    const sboms = await restoreSboms(sbomSources(input), input.dirs.layers, input.group)
    out.sboms = sboms.restored
    out.warnings.push(...sboms.warnings)
  } catch (err) {
    if (err instanceof PhaseError) throw err
    throw new PhaseError('restore', 'RESTORE', wrapError('restore layers', err).message, { cause: err })
  }
  return out
}

/** The SBOM layers to read: the cache's first, then the previous image's (which wins). */
function sbomSources(input: RestoreInput): SbomSource[] {
  const out: SbomSource[] = []
  const cached = input.cacheMetadata.sbom?.sha as Digest | undefined
  if (cached && input.cache) out.push({ what: `the cache's SBOM layer ${cached}`, open: () => input.cache!.open(cached) })
  const launched = input.previous?.sbom?.sha as Digest | undefined
  if (launched && input.previousImage) {
    out.push({ what: `the previous image's SBOM layer ${launched}`, open: async () => (await input.previousImage!.layerByDiffId(launched)).uncompressed() })
  }
  return out
}

/** Which metadata to restore and whether contents come from the cache (the lifecycle's table). */
function pick(app: BuildpackLayerMetadata | undefined, c: BuildpackLayerMetadata | undefined): { meta: BuildpackLayerMetadata; contents: boolean } | undefined {
  if (app?.launch && !app.cache) return { meta: app, contents: false }
  if (app?.launch && app.cache) return c?.cache && c.sha === app.sha ? { meta: app, contents: true } : undefined
  if (c?.cache && !c.launch) return { meta: c, contents: true }
  return undefined
}

async function restoreContents(input: RestoreInput, sha: Digest, layerDir: string, key: string, out: Restored): Promise<boolean> {
  const stashed = await input.stash?.take(sha, layerDir)
  if (stashed) {
    out.snapshots.set(layerDir, { sha, fingerprint: stashed })
    return true
  }
  const tar = input.cache ? await input.cache.open(sha) : undefined
  if (!tar) {
    out.warnings.push(`cached layer ${key} (${sha}) is missing from the cache: not restored`)
    return false
  }
  // Cache tars hold paths under layers/<id>/<layer>, so they extract at the build root.
  await rm(layerDir, { recursive: true, force: true })
  await extractLayer(tar, input.dirs.root)
  if (await stat(layerDir).catch(() => undefined)) out.snapshots.set(layerDir, { sha, fingerprint: await treeFingerprint(layerDir) })
  return true
}
