// createImage: runs a whole build (analyze, detect, restore, build, export, cache) from a resolved BuildRequest.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { applyEnvDir, initialBuildEnv, type BuildpackStore, type OrderInput } from '../buildpack/index.js'
import type { Descriptor, Platform, Repository, TransferEvent } from '../oci/index.js'
import type { ProjectMetadata } from '../platform/index.js'
import { pushImage, TransferLedger, type LedgerTotals } from '../remote/index.js'
import { analyze, type ImageSource } from './analyze.js'
import { buildPhase } from './build-phase.js'
import { createExecution, type Execution } from './build-context.js'
import type { BuildCache } from '../cache/index.js'
import { detectPhase } from './detect-phase.js'
import { exportImage } from './export.js'
import { checkDefaultProcess } from './process-check.js'
import { restore } from './restore.js'
import { LayerStash } from '../cache/index.js'
import { copyApp, emptyCnbDirs, prepareBuildDirs, prepareCnbDirs, writePlatformEnv, type AppFilter, type BuildDirs } from './workspace.js'
import { definedOnly } from '../defined.js'

/** Where the app image goes: one repository and its tags, plus other repositories to tag. */
export interface ImageTarget {
  repo: Repository
  tags: string[]
  display: string
  /** The full references written, for reports (`registry/repo:tag`, `oci:DIR:tag`). */
  refs: string[]
}

/** Everything one build needs, resolved by the caller (the CLI). */
export interface BuildRequest {
  targets: ImageTarget[]
  appDir: string
  appFilter: AppFilter
  order: OrderInput
  store: BuildpackStore
  run: ImageSource & { name: string; mirrors: string[] }
  previous?: ImageSource
  cache?: BuildCache
  clearCache: boolean
  platformEnv: Record<string, string>
  launcher: 'sh' | 'none'
  sandbox: boolean
  network: boolean
  /** Unpacked build image; default: the host's root, read-only. */
  rootfs?: string
  /** A builder's /cnb/build-config/env (unpacked): env files applied to every buildpack's env. */
  buildConfigEnvDir?: string
  /** PATH inside the build environment (the build image's, else a standard one). */
  buildPath: string
  uid: number
  gid: number
  processType?: string
  created: Date
  project?: ProjectMetadata
  platform?: Platform
  concurrency?: number
  /** Where run images' file lists are kept between builds (for the default-process check). */
  indexDir?: string
  /** Where cached layer dirs are kept between builds on this machine (skips re-downloading them). */
  stashDir?: string
  /** Build directories; default: a fresh temp dir (removed afterwards). `--no-sandbox` passes the CNB paths. */
  dirs?: BuildDirs
  signal?: AbortSignal
  /** Host paths buildpacks must never see (credential files, lading's cache and config dirs). */
  hidden?: string[]
}

/** Progress hooks; all optional. */
export interface BuildEvents {
  phase?(name: string): void
  info?(line: string): void
  warn?(line: string): void
  output?(chunk: string): void
  transfer?(ev: TransferEvent): void
}

/** What a build did. */
export interface BuildResult {
  image: Descriptor
  tags: string[]
  group: { id: string; version: string }[]
  reused: string[]
  restored: { metadataOnly: string[]; fromCache: string[] }
  transfer: LedgerTotals
  timingsMs: Record<string, number>
}

/**
 * Runs a whole build, as the lifecycle's creator does: analyze, detect, restore, build, export,
 * then the cache. Phases return data; a failing phase throws PhaseError with its exit code and
 * nothing is pushed: tags only move after every blob and the manifest are in place.
 */
export async function createImage(req: BuildRequest, ev: BuildEvents = {}): Promise<BuildResult> {
  const timingsMs: Record<string, number> = {}
  const timed = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    // interrupted (SIGINT/SIGTERM): no further phase starts, so no tag moves; `finally` cleans up
    req.signal?.throwIfAborted()
    ev.phase?.(name)
    const t0 = Date.now()
    try {
      return await f()
    } finally {
      timingsMs[name] = Date.now() - t0
    }
  }
  const work = await mkdtemp(join(tmpdir(), 'lading-build-'))
  let copiedInto: BuildDirs | undefined
  let exec: Execution | undefined
  try {
    const dirs = req.dirs ?? await prepareBuildDirs(work)
    const storeDir = join(work, 'blobs')
    const { copyApp: copy } = req.dirs ? await prepareCnbDirs(req.dirs, req.appDir) : { copyApp: true }
    if (copy) await copyApp(req.appDir, dirs.workspace, req.appFilter)
    if (copy && req.dirs) copiedInto = req.dirs
    await writePlatformEnv(dirs.platform, req.platformEnv)
    exec = await createExecution(definedOnly({
      dirs, buildpacks: req.store.all(), sandbox: req.sandbox, network: req.network, uid: req.uid, gid: req.gid,
      rootfs: req.rootfs || undefined, hidden: req.hidden,
    }))
    // the sandbox's set-up overlaps analyze's registry round trips; a failure shows at the first run
    exec.prepare?.().catch(() => {})
    const analyzed = await timed('analyze', () => analyze(definedOnly({
      run: req.run, clearCache: req.clearCache, previous: req.previous, cache: req.cache, platform: req.platform,
    }), req.signal))
    analyzed.warnings.forEach((w) => ev.warn?.(w))
    const env = initialBuildEnv({ PATH: req.buildPath, HOME: '/tmp' })
    // A builder's /cnb/build-config/env applies to every buildpack, as the lifecycle does it.
    if (req.buildConfigEnvDir) await applyEnvDir(env, req.buildConfigEnvDir, { defaultSuffix: 'override' })
    const common = definedOnly({ dirs, exec, env, target: analyzed.runTarget, signal: req.signal, onOutput: ev.output })
    const detected = await timed('detect', () => detectPhase({ ...common, order: req.order, store: req.store }))
    ev.info?.(detected.table)
    const stash = req.stashDir && req.cache ? new LayerStash(req.stashDir) : undefined
    const restored = await timed('restore', () => restore(definedOnly({
      group: detected.group, dirs, cacheMetadata: analyzed.cache, previous: analyzed.previous?.metadata, previousImage: analyzed.previous?.image,
      cache: req.cache, stash: req.clearCache ? undefined : stash,
    })))
    restored.warnings.forEach((w) => ev.warn?.(w))
    const built = await timed('build', () => buildPhase({ ...common, group: detected.group, plan: detected.plan, onBuildpack: (bp) => ev.info?.(`building with ${bp.id}@${bp.version}`) }))
    const exported = await timed('export', async () => {
      await checkDefaultProcess(built, req.processType ?? built.defaultType, dirs, analyzed.runImage, req.indexDir ?? join(work, 'run-index'))
      return exportImage(definedOnly({
        group: detected.group, built, dirs, runImage: analyzed.runImage, runReference: analyzed.runReference, runName: analyzed.layoutRunName ?? req.run.name,
        runMirrors: req.run.mirrors.filter((m) => !m.startsWith('oci:')), launcher: req.launcher, created: req.created, storeDir, uid: req.uid, gid: req.gid,
        oldCache: analyzed.cache, snapshots: restored.snapshots, previous: analyzed.previous, cache: req.cache,
        processType: req.processType || undefined, project: req.project,
      }))
    })
    exported.warnings.forEach((w) => ev.warn?.(w))
    const ledger = new TransferLedger()
    const onProgress = (e: TransferEvent): void => {
      ledger.record(e)
      ev.transfer?.(e)
    }
    const [first, ...rest] = req.targets
    const image = await timed('publish', async () => {
      const desc = await pushImage(first!.repo, exported.image, first!.tags, { onProgress, concurrency: req.concurrency ?? 4 })
      for (const t of rest) await pushImage(t.repo, exported.image, t.tags, { onProgress, concurrency: req.concurrency ?? 4, mountFrom: [first!.repo.name] })
      return desc
    })
    if (req.cache) await timed('cache', () => req.cache!.save(exported.cacheEntries, exported.cacheMetadata))
    if (stash) await stash.keep(exported.stashable)
    return {
      image, tags: req.targets.flatMap((t) => t.refs),
      group: detected.group.map((g) => ({ id: g.id, version: g.version })), reused: exported.reused,
      restored: { metadataOnly: restored.metadataOnly, fromCache: restored.fromCache }, transfer: ledger.totals, timingsMs,
    }
  } finally {
    await exec?.close?.()
    await rm(work, { recursive: true, force: true })
    // --no-sandbox: leave the CNB paths as we found them (empty) for the next build.
    if (copiedInto) await emptyCnbDirs(copiedInto)
  }
}
