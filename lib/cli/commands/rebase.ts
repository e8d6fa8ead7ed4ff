// `lading rebase`: one image, an index or a fleet onto a patched run image; result lines, summary, exit code.
import { ExitCodes } from '../../exit-codes.js'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { UsageError } from '../args.js'
import type { Command } from '../command.js'
import type { CommandContext } from '../context.js'
import { type RebaseTarget, type FleetSummary, type FleetItem, RunImageCache, rebaseFleet } from '../../rebase/index.js'
import { copyImage } from '../../remote/index.js'
import { formatBytes } from '../output.js'
import { parseConcurrency } from './copy.js'
import { parseReference } from '../../oci/index.js'
import { ladingCacheDir } from '../env.js'
import { RunImageHints } from '../run-image-hints.js'

/** `lading rebase IMAGE...`: move app images onto a new run image by editing config and manifest only. */
export const rebaseCommand: Command = {
  name: 'rebase',
  summary: 'Move app images onto a patched run image without a rebuild',
  usage: 'rebase IMAGE... [--from FILE] [--run-image REF] [--tag REF ...] [--force] [--dry-run] [--concurrency N] [--json]',
  help: `Replaces the run image layers under each IMAGE with those of the new run image, as the
CNB lifecycle's rebaser does: a new config and manifest are written, no layer is rebuilt
or downloaded. The old base is found by the io.buildpacks.lifecycle.metadata label and
checked against the recorded run image. The new run image is --run-image, else the
recorded run image (or a mirror in the app's registry) at its current digest.
Layers of a run image in another repository of the same registry are mounted; from
another registry they are copied (the output says how many bytes). An index is rebased
child by child. Tags move last: a failure leaves them where they were.

Flags:
  --from FILE        read more images from FILE, one reference a line (# comments)
  --run-image REF    the new run image (must be the recorded image or a mirror unless --force)
  --tag REF          also point REF at the result (repeatable; one IMAGE only)
  --force            rebase even when a check fails (not for legacy stack checks)
  --dry-run          print old and new base, layers and bytes; write nothing
  --concurrency N    images in flight at once (default 8)

One result line per image (rebased, up to date, skipped: why, failed: why) and a summary.
Exit codes: 0 when nothing failed; 70-75 (lifecycle rebase range) otherwise, and for a single
image that was refused: 71 refused by a check, 72 not a CNB image, 73 bad label, 74 old base
does not match, 75 no readable run image.

Examples:
  lading rebase registry.example.com/team/app:1
  lading rebase --from images.txt --concurrency 16 --json
  lading rebase registry.example.com/app:1 --run-image registry.example.com/run:1.2 --force --dry-run`,
  options: {
    from: { type: 'string' },
    'run-image': { type: 'string' },
    tag: { type: 'string', multiple: true },
    force: { type: 'boolean' },
    'dry-run': { type: 'boolean' },
    concurrency: { type: 'string' },
  },
  async run(ctx, args) {
    const v = args.values
    const refs = [...args.positionals]
    if (typeof v.from === 'string') refs.push(...await readRefs(v.from))
    if (refs.length === 0) throw new UsageError('missing IMAGE: usage: lading rebase IMAGE... [--from FILE]', 'rebase')
    const extraTags = (v.tag as string[] | undefined) ?? []
    if (extraTags.length && refs.length > 1) throw new UsageError('--tag needs exactly one IMAGE', 'rebase')
    const dryRun = Boolean(v['dry-run'])
    const runImages = new RunImageCache((name) => openRunImage(ctx, name), ctx.signal)
    const single = refs.length === 1 && typeof v.from !== 'string'
    const runImage = typeof v['run-image'] === 'string' ? v['run-image'] : undefined
    const guess = single ? guessRunImage(refs[0]!) : undefined
    // Read while the app's manifest is on its way: the flag's image surely, the last one likely.
    if (runImage || guess?.runImage) runImages.prefetch(runImage ?? guess!.runImage!)
    const { items, summary } = await rebaseFleet(refs, async (ref) => openTarget(ctx, ref), {
      runImages, dryRun, force: Boolean(v.force), fleetConcurrency: parseConcurrency(v.concurrency, 8), signal: ctx.signal,
      runImage,
      onProgress: single && !ctx.flags.json ? ctx.out.progress : undefined,
      onResult: (item) => {
        if (ctx.flags.json) return
        if (item.ok) for (const w of item.warnings) ctx.out.warn(w)
        ctx.out.data(`${resultLine(item, dryRun)}\n`)
      },
    })
    const first = items[0]
    const chosen = first?.ok && first.bases.length === 1 ? first.bases[0]!.new.name : undefined
    if (guess && chosen) guess.hints.set(guess.app, chosen)
    if (extraTags.length && first?.ok && !dryRun) {
      const src = await ctx.target(first.image)
      for (const t of extraTags) {
        const dst = await ctx.target(t, { create: true })
        await copyImage(src.repo, first.newDigest, dst.repo, dst.tags, { allPlatforms: true, signal: ctx.signal })
        if (!ctx.flags.json) ctx.out.info(`tagged ${dst.display}`)
      }
    }
    if (ctx.flags.json) ctx.out.data(`${JSON.stringify({ dryRun, images: items.map(jsonItem), summary })}\n`)
    else if (!single) ctx.out.data(`${summaryLine(summary, dryRun)}\n`)
    return exitCode(items, single)
  },
}

/**
 * The run image a lone registry image was last rebased onto here (lading's cache), when it is in
 * the app's own registry: a guess at another host could leave a connection waiting at exit.
 */
function guessRunImage(ref: string): { hints: RunImageHints; app: string; runImage?: string } | undefined {
  if (ref.startsWith('oci:')) return undefined
  let app: string
  let registry: string
  try {
    const r = parseReference(ref)
    registry = r.registry
    app = `${r.registry}/${r.repository}`
  } catch {
    return undefined // the rebase itself reports the bad reference
  }
  const hints = RunImageHints.open(join(ladingCacheDir(), 'run-images.json'))
  const last = hints.get(app)
  let sameHost = false
  try {
    sameHost = last !== undefined && !last.startsWith('oci:') && parseReference(last).registry === registry
  } catch {
    // A damaged hint: no guess.
  }
  return { hints, app, ...(sameHost ? { runImage: last } : {}) }
}

async function readRefs(file: string): Promise<string[]> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new UsageError(`--from ${file}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? err})`, 'rebase')
  }
  return text.split('\n').map((l) => l.replace(/#.*/, '').trim()).filter((l) => l !== '')
}

/** Opens a run image name; `oci:DIR@sha256:…` (a recorded reference to a layout) is read by digest. */
async function openRunImage(ctx: CommandContext, name: string): Promise<{ repo: RebaseTarget['repo']; identifier: string }> {
  const at = name.indexOf('@')
  if (name.startsWith('oci:') && at > 0) return { repo: (await ctx.target(name.slice(0, at))).repo, identifier: name.slice(at + 1) }
  return ctx.target(name)
}

async function openTarget(ctx: CommandContext, ref: string): Promise<RebaseTarget> {
  const t = await ctx.target(ref)
  return { repo: t.repo, identifier: t.identifier, tags: t.tags, display: t.display, registry: t.ref?.registry ?? '' }
}

const short = (d: string): string => d.replace(/^sha256:/, '').slice(0, 12)

/** One human line per image. */
export function resultLine(item: FleetItem, dryRun: boolean): string {
  if (!item.ok) return `${item.image}: ${item.status}: ${item.reason}`
  if (item.status === 'up-to-date') return `${item.image}: up to date (${short(item.newDigest)}, base ${item.bases[0]?.new.reference ?? ''})`
  const swaps = item.bases.filter((b) => !b.upToDate).map((b) =>
    `${item.bases.length > 1 ? `${b.platform}: ` : ''}old base ${b.old.reference || b.old.topLayer} (${b.old.layers} layers) → new base ${b.new.reference} (${b.new.layers} layers)`).join('; ')
  const b = item.bytes
  const moved = `${dryRun ? 'would upload' : 'uploaded'} ${formatBytes(b.uploaded)}${b.copied ? ` (${formatBytes(b.copied)} of base layers copied from another registry)` : ''}, ${dryRun ? 'would mount' : 'mounted'} ${formatBytes(b.mounted)}`
  const verb = dryRun ? 'would rebase' : 'rebased'
  return `${item.image}: ${verb} ${short(item.oldDigest)} → ${short(item.newDigest)}: ${swaps}; ${moved}`
}

function summaryLine(s: FleetSummary, dryRun: boolean): string {
  const done = dryRun ? `${s.wouldRebase} would be rebased` : `${s.rebased} rebased`
  return `${s.images} image(s): ${done}, ${s.upToDate} up to date, ${s.skipped} skipped, ${s.failed} failed; uploaded ${formatBytes(s.bytesUploaded)} in ${s.ms} ms`
}

function jsonItem(item: FleetItem): Record<string, unknown> {
  if (!item.ok) return { image: item.image, status: item.status, reason: item.reason, code: item.code, exitCode: item.exitCode }
  const { ok: _ok, ...rest } = item
  return rest
}

/** Failures decide the exit code; a refusal does too when only one image was asked for. */
function exitCode(items: readonly FleetItem[], single: boolean): number {
  const bad = items.filter((i): i is Extract<FleetItem, { ok: false }> => !i.ok && (i.status === 'failed' || single))
  if (bad.length === 0) return 0
  const codes = new Set(bad.map((b) => b.exitCode))
  return codes.size === 1 ? bad[0]!.exitCode : ExitCodes.REBASE
}
