/** fleet plan: each declared image is up to date, to build (with kpack's reasons CONFIG, COMMIT,
 * BUILDPACK, STACK, TRIGGER and the evidence old → new), to rebase (only the run image moved),
 * or in error. Everything compared comes from the registry (manifests and configs only) and the
 * fleet file; there is no local database.
 */
import pLimit from 'p-limit'
import { LadingError } from '../errors.js'
import { isDir } from '../fs-checks.js'
import { parseReference, type Platform } from '../oci/index.js'
import type { RunImageCache } from '../rebase/index.js'
import type { Builders, BuilderInfo } from './builder.js'
import type { BuildpackLists } from './buildpacks.js'
import { FleetImageError } from './errors.js'
import type { FleetEntry } from './file.js'
import { resolveRevision } from './git.js'
import type { Opener } from './open.js'
import { configDigest, readImageState, recordedCommit, type ImageState } from './state.js'
import { treeDigest } from './tree-hash.js'
import { imageName } from './shard.js'

/** kpack's build reasons. */
export type Reason = 'CONFIG' | 'COMMIT' | 'BUILDPACK' | 'STACK' | 'TRIGGER'
/** What plan decided for one image. */
export type Action = 'up-to-date' | 'build' | 'rebase' | 'error'

/** Why a reason holds: what the image records and what is declared or current now. */
export interface Evidence { reason: Reason; old: string; new: string }

/** One image's plan. */
export interface PlanItem {
  tag: string
  action: Action
  reasons: Reason[]
  evidence: Evidence[]
  entry: FleetEntry
  /** What the tag points at now ('' when there is no image yet). */
  digest: string
  /** Inputs found while planning, reused by apply. */
  runImage?: string
  commit?: string
  sourceDigest?: string
  builder?: BuilderInfo
  config: string
  error?: { code: string; message: string; line: number }
}

/** What plan needs from its caller. */
export interface PlanOptions {
  open: Opener
  runImages: RunImageCache
  builders: Builders
  buildpacks: BuildpackLists
  platform: Platform
  /** Images read at once (default 32). */
  concurrency?: number
  /** Tags to build whatever their state (kpack's TRIGGER). */
  trigger?: ReadonlySet<string>
  signal?: AbortSignal
  onItem?: (item: PlanItem) => void
  /** Source digests and commits already found in this run, by path or URL + revision. */
  sources?: Map<string, Promise<string>>
}

function once(opts: PlanOptions, key: string, f: () => Promise<string>): Promise<string> {
  if (!opts.sources) return f()
  let p = opts.sources.get(key)
  if (!p) {
    p = f()
    opts.sources.set(key, p)
  }
  return p
}

/** Plans every entry (bounded concurrency); results in input order, one failure never stops the others. */
export async function planFleet(entries: readonly FleetEntry[], opts: PlanOptions): Promise<PlanItem[]> {
  const limit = pLimit(Math.max(1, opts.concurrency ?? 32))
  // Many images share a source directory or a git revision: hash or ask once per run.
  const shared = { ...opts, sources: opts.sources ?? new Map<string, Promise<string>>() }
  return Promise.all(entries.map((e) => limit(async () => {
    const item = await planImage(e, shared)
    opts.onItem?.(item)
    return item
  })))
}

const digestOf = (reference: string): string => reference.slice(reference.lastIndexOf('@') + 1)

/** The name form the exporter records for a run image. */
export function canonicalName(name: string): string {
  return name.startsWith('oci:') ? name : parseReference(name).toString()
}

/** Plans one image; never throws (a problem becomes an `error` item naming the entry and line). */
export async function planImage(e: FleetEntry, opts: PlanOptions): Promise<PlanItem> {
  const config = configDigest(e)
  const base = { tag: e.tag, entry: e, config, reasons: [] as Reason[], evidence: [] as Evidence[], digest: '' }
  let step = e.source.kind === 'path' ? 'path' : 'git'
  try {
    const found: Partial<PlanItem> = {}
    if (e.source.kind === 'path') {
      if (!await isDir(e.source.path)) throw new LadingError('ERR_FLEET_SOURCE', `missing source: path ${e.source.declared} (${e.source.path}) is not a directory`)
      found.sourceDigest = await treeDigest(e.source.path)
    } else {
      step = 'git'
      found.commit = await resolveRevision(e.source.url, e.source.revision)
    }
    let versions: Map<string, Set<string>>
    if (e.builder) {
      step = 'builder'
      try {
        found.builder = await opts.builders.read(e.builder)
      } catch (err) {
        throw new LadingError('ERR_FLEET_BUILDER', `cannot read builder ${e.builder}: ${(err as Error).message}`, { cause: err })
      }
      versions = new Map()
      for (const b of found.builder.buildpacks) versions.set(b.id, (versions.get(b.id) ?? new Set()).add(b.version))
    } else {
      step = 'buildpacks'
      versions = (await opts.buildpacks.get(e.buildpacks ?? [])).versions
    }
    step = e.runImage ? 'run-image' : 'builder'
    const runName = e.runImage ?? found.builder?.runImage
    if (!runName) throw new LadingError('ERR_FLEET_RUN_IMAGE', `builder ${e.builder} names no run image: set run-image`)
    found.runImage = runName
    const run = await opts.runImages.resolve(runName, opts.platform).catch((err: Error) => {
      throw new LadingError(err instanceof LadingError ? err.code : 'ERR_FLEET_RUN_IMAGE', `cannot read run image ${runName}: ${err.message}`, { cause: err })
    })
    step = 'tag'
    // A layout that does not exist yet holds no image, like a registry repository that has none.
    const target = await opts.open(e.tag).catch((err: unknown) => {
      if (err instanceof LadingError && err.code === 'ERR_LAYOUT_NOT_FOUND') return undefined
      throw err
    })
    const state = target && await readImageState(target.repo, target.identifier, opts.platform, opts.signal)
    const item: PlanItem = { ...base, ...found, action: 'up-to-date' }
    if (!state) {
      item.evidence.push({ reason: 'CONFIG', old: '(no image)', new: config })
    } else {
      item.digest = state.digest
      compare(item, state, config, versions, canonicalName(runName), run.digest, run.reference)
    }
    if (opts.trigger && [...opts.trigger].some((t) => imageName(t) === imageName(e.tag))) item.evidence.push({ reason: 'TRIGGER', old: state?.digest ?? '(no image)', new: 'requested (--trigger)' })
    item.reasons = [...new Set(item.evidence.map((x) => x.reason))]
    const onlyStack = item.reasons.length === 1 && item.reasons[0] === 'STACK'
    item.action = item.reasons.length === 0 ? 'up-to-date'
      : onlyStack && state?.runImage.image === canonicalName(runName) ? 'rebase' : 'build'
    return item
  } catch (err) {
    const line = e.lines[step] ?? e.at.line
    const code = err instanceof LadingError ? err.code : 'ERR_FLEET_PLAN'
    const message = new FleetImageError(code, { ...e.at, line }, (err as Error).message).message
    return { ...base, action: 'error', error: { code, message, line } }
  }
}

function compare(item: PlanItem, s: ImageState, config: string, versions: Map<string, Set<string>>, runName: string, runDigest: string, runRef: string): void {
  const ev = item.evidence
  if (s.fleet?.config !== config) ev.push({ reason: 'CONFIG', old: s.fleet?.config ?? '(not built from a fleet file)', new: config })
  if (item.commit !== undefined) {
    const was = recordedCommit(s.project)
    if (was !== item.commit) ev.push({ reason: 'COMMIT', old: was || '(none recorded)', new: item.commit })
  } else if (item.sourceDigest !== undefined && s.fleet?.source !== item.sourceDigest) {
    ev.push({ reason: 'COMMIT', old: s.fleet?.source ?? '(none recorded)', new: item.sourceDigest })
  }
  for (const b of s.buildpacks) {
    const now = versions.get(b.id)
    if (!now?.has(b.version)) ev.push({ reason: 'BUILDPACK', old: `${b.id}@${b.version}`, new: now ? [...now].map((v) => `${b.id}@${v}`).join(', ') : `${b.id} (no longer provided)` })
  }
  // A new builder digest with the same buildpack versions is no reason on its own: kpack compares buildpacks.
  const recorded = s.runImage.reference ? digestOf(s.runImage.reference) : ''
  if (recorded !== runDigest || s.runImage.image !== runName) {
    ev.push({ reason: 'STACK', old: s.runImage.reference || '(none recorded)', new: runRef })
  }
}
