/** What the registry says about an image, which is all the state a fleet has: the lifecycle's
 * run image record, the buildpacks of the build metadata label, the source commit of the project
 * metadata label, and lading's fleet record (declared-config digest, source tree digest, builder).
 * Reads one manifest (two for an index) and one config blob; never a layer.
 */
import { createHash } from 'node:crypto'
import { isIndex, type ImageConfig, type ImageManifest, type Platform, type Repository } from '../oci/index.js'
import { decodeBuildMetadata, decodeLifecycleMetadata, decodeProjectMetadata, LABELS, type BuildpackRef, type ProjectMetadata } from '../platform/index.js'
import { isNotFound, narrowToImage, readBlob } from '../remote/index.js'
import type { FleetEntry } from './file.js'

/** The label lading writes on fleet-built images (kept by rebase, like every non-base label). */
export const FLEET_LABEL = 'io.buildpacks.lading.fleet'

/** The fleet label's value. */
export interface FleetRecord {
  /** Digest of the declared configuration (see configDigest). */
  config: string
  /** Tree digest of a `path` source at build time. */
  source?: string
  /** The builder the image was built with: its name and digest then. */
  builder?: { image: string; digest: string }
}

/** An image's state as read from the registry. */
export interface ImageState {
  /** Digest of what the tag points at (manifest or index). */
  digest: string
  runImage: { image: string; reference: string; topLayer: string }
  buildpacks: BuildpackRef[]
  project: ProjectMetadata
  fleet?: FleetRecord
}

/** Reads the state of `identifier` in `repo`; undefined when the tag does not exist. */
export async function readImageState(repo: Repository, identifier: string, platform: Platform, signal?: AbortSignal): Promise<ImageState | undefined> {
  let top
  try {
    top = await repo.manifests.get(identifier, signal)
  } catch (err) {
    if (isNotFound(err)) return undefined
    throw err
  }
  const manifest = isIndex(top) ? await narrowToImage(repo, top, platform, signal) : top
  const m = manifest.value as ImageManifest
  // The summary annotation saves the config read when it was made from this very config.
  const summary = parseSummary(m.annotations?.[STATE_ANNOTATION], m.config.digest)
  if (summary) return { digest: top.descriptor.digest, ...summary }
  const config = JSON.parse((await readBlob(repo.blobs, m.config, signal)).toString('utf8')) as ImageConfig
  return { digest: top.descriptor.digest, ...stateFromLabels(config.config?.Labels ?? {}) }
}

/** The state the labels of a config hold (everything of ImageState but the digest). */
export function stateFromLabels(labels: Record<string, string>): Omit<ImageState, 'digest'> {
  const lcText = labels[LABELS.LIFECYCLE_METADATA]
  const bmText = labels[LABELS.BUILD_METADATA]
  const pmText = labels[LABELS.PROJECT_METADATA]
  const lc = lcText ? decodeLifecycleMetadata(lcText).value.runImage : undefined
  const bm = bmText ? decodeBuildMetadata(bmText).value.buildpacks : []
  const pm = pmText ? decodeProjectMetadata(pmText).value : {}
  const fleet = parseFleetRecord(labels[FLEET_LABEL])
  return {
    runImage: { image: lc?.image ?? '', reference: lc?.reference ?? '', topLayer: lc?.topLayer ?? '' },
    buildpacks: bm.map((b) => ({ id: b.id, version: b.version })), project: pm, ...(fleet ? { fleet } : {}),
  }
}

/**
 * The manifest annotation a fleet build adds: the state its config's labels hold, plus that
 * config's digest. The labels stay the truth; a manifest whose config changed since (a rebase
 * by any tool) no longer matches, and plan reads the config as usual.
 */
export const STATE_ANNOTATION = 'io.buildpacks.lading.fleet.state'

/** Encodes the summary annotation for a config with `configDigest` and `labels`. */
export function encodeStateSummary(configDigest: string, labels: Record<string, string>): string {
  const s = stateFromLabels(labels)
  return JSON.stringify({ configDigest, runImage: s.runImage, buildpacks: s.buildpacks, project: s.project, ...(s.fleet ? { fleet: s.fleet } : {}) })
}

function parseSummary(text: string | undefined, configDigest: string): Omit<ImageState, 'digest'> | undefined {
  if (!text) return undefined
  try {
    const o = JSON.parse(text) as Omit<ImageState, 'digest'> & { configDigest?: string }
    if (o.configDigest !== configDigest || !o.runImage || !Array.isArray(o.buildpacks)) return undefined
    return { runImage: o.runImage, buildpacks: o.buildpacks, project: o.project ?? {}, ...(o.fleet ? { fleet: o.fleet } : {}) }
  } catch {
    return undefined
  }
}

function parseFleetRecord(text: string | undefined): FleetRecord | undefined {
  if (!text) return undefined
  try {
    const o = JSON.parse(text) as Partial<FleetRecord>
    return typeof o.config === 'string' ? o as FleetRecord : undefined
  } catch {
    return undefined // another tool's label: treat as never built by a fleet (CONFIG)
  }
}

/** Encodes the fleet label (keys in a fixed order: same record, same bytes, same digest). */
export function encodeFleetRecord(r: FleetRecord): string {
  return JSON.stringify({ config: r.config, ...(r.source ? { source: r.source } : {}), ...(r.builder ? { builder: { image: r.builder.image, digest: r.builder.digest } } : {}) })
}

/**
 * Digest of what an image declares, apart from what other reasons track: the source's location
 * (not its revision: that is COMMIT), builder or buildpacks as written, run image name, env.
 * cache-image is left out: moving the cache is no reason to rebuild.
 */
export function configDigest(e: FleetEntry): string {
  const source = e.source.kind === 'path' ? { path: e.source.declared } : { git: e.source.url }
  const declared = {
    source, builder: e.builder ?? null, buildpacks: e.buildpacks ?? null, runImage: e.runImage ?? null,
    env: Object.fromEntries(Object.entries(e.env).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)),
  }
  return `sha256:${createHash('sha256').update(JSON.stringify(declared)).digest('hex')}`
}

/** The commit recorded in the project metadata label (source type git), or ''. */
export function recordedCommit(p: ProjectMetadata): string {
  const c = p.source?.type === 'git' ? p.source.version['commit'] : undefined
  return typeof c === 'string' ? c : ''
}
