/** Rebases many images in one process: at most `concurrency` in flight, run images fetched once
 * for all of them (a shared RunImageCache), one result per image in input order.
 */
import pLimit from 'p-limit'
import { LadingError } from '../errors.js'
import { exitCodeFor } from '../exit-codes.js'
import { rebaseImage, type RebaseOptions, type RebaseResult, type RebaseTarget } from './rebase.js'
import { RebaseError } from './errors.js'

/** One image's line in a fleet report. */
export type FleetItem =
  | (RebaseResult & { ok: true })
  | { ok: false; image: string; status: 'skipped' | 'failed'; reason: string; code: string; exitCode: number }

/** Totals over a fleet. */
export interface FleetSummary {
  images: number
  rebased: number
  upToDate: number
  wouldRebase: number
  skipped: number
  failed: number
  bytesUploaded: number
  bytesCopied: number
  ms: number
}

/** Options of rebaseFleet: the per-image options plus the fleet's concurrency and a per-item callback. */
export interface FleetOptions extends RebaseOptions {
  /** Images in flight at once (default 8). */
  fleetConcurrency?: number
  /** Called as each image finishes, in completion order. */
  onResult?: (item: FleetItem, index: number) => void
}

/**
 * Rebases every image `open(ref)` resolves; never throws for one image's failure. A RebaseError
 * of kind refused/not-cnb is "skipped", every other error "failed" (exit code 70 unless the
 * error carries its own).
 */
export async function rebaseFleet(
  refs: readonly string[], open: (ref: string) => Promise<RebaseTarget>, opts: FleetOptions,
): Promise<{ items: FleetItem[]; summary: FleetSummary }> {
  const started = Date.now()
  const limit = pLimit(Math.max(1, opts.fleetConcurrency ?? 8))
  const items = await Promise.all(refs.map((ref, i) => limit(async (): Promise<FleetItem> => {
    let item: FleetItem
    try {
      item = { ok: true, ...(await rebaseImage(await open(ref), opts)) }
    } catch (err) {
      item = failure(ref, err)
    }
    opts.onResult?.(item, i)
    return item
  })))
  const summary: FleetSummary = {
    images: items.length, rebased: 0, upToDate: 0, wouldRebase: 0, skipped: 0, failed: 0, bytesUploaded: 0, bytesCopied: 0, ms: 0,
  }
  for (const it of items) {
    if (!it.ok) {
      summary[it.status]++
      continue
    }
    if (it.status === 'rebased') summary.rebased++
    else if (it.status === 'up-to-date') summary.upToDate++
    else summary.wouldRebase++
    summary.bytesUploaded += it.bytes.uploaded
    summary.bytesCopied += it.bytes.copied
  }
  summary.ms = Date.now() - started
  return { items, summary }
}

function failure(image: string, err: unknown): FleetItem {
  const reason = err instanceof Error ? err.message : String(err)
  const code = err instanceof LadingError ? err.code : 'ERR_UNKNOWN'
  const own = (err as { exitCode?: unknown }).exitCode
  const exitCode = typeof own === 'number' ? own : exitCodeFor(code)
  return { ok: false, image, status: err instanceof RebaseError && err.skipped ? 'skipped' : 'failed', reason, code, exitCode }
}
