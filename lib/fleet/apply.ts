/** fleet apply: carries out a plan. Rebases go first (cheap, and they carry the security fixes),
 * all with bounded concurrency; then builds through a queue of at most `maxBuilds`. Every image
 * gets a result; one failure never stops the others and never moves that image's tag.
 */
import pLimit from 'p-limit'
import { LadingError } from '../errors.js'
import { rebaseImage, RebaseError, type RunImageCache } from '../rebase/index.js'
import { buildItem, type BuildDeps } from './build.js'
import type { PlanItem } from './plan.js'

/** What happened to one image. */
export type ApplyResult = 'built' | 'rebased' | 'unchanged' | 'failed'

/** A plan item with its outcome. */
export interface ApplyItem extends PlanItem {
  result: ApplyResult
  /** The tag's digest afterwards (unchanged for failed or up-to-date images). */
  newDigest: string
  failure?: { code: string; message: string }
  /** Why a planned rebase became a build (the lifecycle's checks refused it). */
  rebuiltBecause?: string
  ms: number
}

/** Totals over an apply. */
export interface ApplySummary {
  images: number
  built: number
  rebased: number
  unchanged: number
  failed: number
  ms: number
}

/** Options of applyPlan. */
export interface ApplyOptions {
  build: BuildDeps
  runImages: RunImageCache
  /** Rebases in flight at once (default 8). */
  concurrency?: number
  /** Builds in flight at once (default 1: a build uses the whole machine). */
  maxBuilds?: number
  onResult?: (item: ApplyItem) => void
}

/** Applies `items` (from planFleet); results in input order. */
export async function applyPlan(items: readonly PlanItem[], opts: ApplyOptions): Promise<{ items: ApplyItem[]; summary: ApplySummary }> {
  const started = Date.now()
  const out: ApplyItem[] = new Array(items.length)
  const finish = (i: number, it: ApplyItem): void => {
    out[i] = it
    opts.onResult?.(it)
  }
  const run = async (i: number, f: () => Promise<{ result: ApplyResult; newDigest: string; rebuiltBecause?: string }>): Promise<void> => {
    const t0 = Date.now()
    const item = items[i]!
    try {
      finish(i, { ...item, ...(await f()), ms: Date.now() - t0 })
    } catch (err) {
      const code = err instanceof LadingError ? err.code : 'ERR_FLEET_APPLY'
      finish(i, { ...item, result: 'failed', newDigest: item.digest, failure: { code, message: (err as Error).message }, ms: Date.now() - t0 })
    }
  }
  items.forEach((item, i) => {
    if (item.action === 'up-to-date') finish(i, { ...item, result: 'unchanged', newDigest: item.digest, ms: 0 })
    if (item.action === 'error') finish(i, { ...item, result: 'failed', newDigest: item.digest, failure: { code: item.error!.code, message: item.error!.message }, ms: 0 })
  })
  const rebases = pLimit(Math.max(1, opts.concurrency ?? 8))
  // A rebase the lifecycle's checks refuse (another distro version, an old base it cannot prove)
  // needs a build on the new run image instead: it joins the build queue.
  const rebuild = new Map<number, string>()
  await Promise.all(items.map((item, i) => item.action !== 'rebase' ? undefined : rebases(async () => {
    const t0 = Date.now()
    try {
      const t = await opts.build.open(item.tag)
      const r = await rebaseImage({ repo: t.repo, identifier: t.identifier, tags: t.tags, display: t.display, registry: t.registry }, {
        runImages: opts.runImages, runImage: item.runImage!, signal: opts.build.signal,
      })
      finish(i, { ...item, result: r.status === 'rebased' ? 'rebased' : 'unchanged', newDigest: r.newDigest, ms: Date.now() - t0 })
    } catch (err) {
      if (err instanceof RebaseError && (err.kind === 'refused' || err.kind === 'old-base')) rebuild.set(i, err.message)
      else await run(i, () => Promise.reject(err))
    }
  })))
  // Unsandboxed builds share the real /workspace and /layers: one at a time.
  const builds = pLimit(opts.build.sandbox ? Math.max(1, opts.maxBuilds ?? 1) : 1)
  await Promise.all(items.map((item, i) => item.action !== 'build' && !rebuild.has(i) ? undefined
    : builds(() => run(i, async () => ({
      result: 'built' as const, newDigest: await buildItem(item, opts.build), ...(rebuild.has(i) ? { rebuiltBecause: rebuild.get(i)! } : {}),
    })))))
  const summary: ApplySummary = { images: out.length, built: 0, rebased: 0, unchanged: 0, failed: 0, ms: Date.now() - started }
  for (const it of out) summary[it.result]++
  return { items: out, summary }
}
