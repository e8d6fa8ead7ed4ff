/** `lading fleet plan|apply FILE`: declarative reconcile of many images from one fleet file. */
import { join } from 'node:path'
import { ExitCodes } from '../../exit-codes.js'
import { UsageError, networkOn } from '../args.js'
import type { Command } from '../command.js'
import type { CommandContext, Target } from '../context.js'
import {
  applyPlan, BuildpackLists, labelBuilders, parseShard, planFleet, readFleetFile, selectShard,
  type ApplyItem, type ApplySummary, type Builders, type Opener, type PlanItem, type PreparedBuilder,
} from '../../fleet/index.js'
import { createBuildpackStore } from '../../buildpack/index.js'
import { hostPlatform, type Platform } from '../../oci/index.js'
import { openBuilder, useBuilderOrder } from '../build-builder.js'
import { RunImageCache } from '../../rebase/index.js'
import { parseConcurrency } from './copy.js'
import { ladingCacheDir } from '../env.js'

/** `lading fleet`: plan or apply a fleet file. */
export const fleetCommand: Command = {
  name: 'fleet',
  summary: 'Plan or apply a fleet of images declared in one file (build, rebase, or leave alone)',
  usage: 'fleet plan|apply FILE [--json] [--shard K/N] [--max-builds N] [--concurrency N] [--trigger TAG ...]',
  help: `FILE (TOML, or YAML when it ends in .yaml/.yml) declares images:

  [defaults]                      # any image key; an image's own value wins
  builder = "registry.example.com/builders/node:latest"
  [[images]]
  tag = "registry.example.com/apps/a:latest"
  path = "./apps/a"               # or: git = "https://git.example.com/a.git", revision = "main"
  # builder = "...", or: buildpacks = ["./bp", "id@1.0"] with run-image = "..."
  run-image = "registry.example.com/base/run:1"   # optional override
  env = { BP_NODE_VERSION = "20" }
  cache-image = "registry.example.com/apps/a-cache:latest"

plan reads each image's manifest and config (never a layer) and says, for each one:
  up to date; build, with kpack's reasons (CONFIG: the declaration changed; COMMIT: the
  source changed; BUILDPACK: a buildpack the image used has another version now; STACK: the
  run image moved; TRIGGER: --trigger); rebase (only the run image moved); or error.
State lives only in the registry: the image's labels (build metadata, project metadata with
the git commit, lifecycle metadata with the run image, and io.buildpacks.lading.fleet).
apply does the plan: rebases first, then builds (at most --max-builds at once); one result
line per image and a summary. A failed image never moves its tag; the others still complete.

Flags:
  --json               {"images": [{"tag","action","reasons","evidence",...}], "summary"}; apply adds "result" and "newDigest"
  --shard K/N          only the images whose name hashes to shard K of N (K from 0: JOB_COMPLETION_INDEX as is)
  --max-builds N       builds in flight at once (apply; default 1)
  --concurrency N      images read or rebased at once (default 16)
  --trigger TAG        build TAG whatever its state (repeatable; reason TRIGGER)
  --buildpacks-dir DIR where ID[@VERSION] buildpacks are found
  --no-sandbox         run buildpacks without the bubblewrap sandbox (CI images)
  --network MODE       host (default; pack's default, bridge): buildpacks use this machine's network; none: off

Exit codes: 0 when every image is fine; 1 when any image is in error (plan) or failed (apply);
4 for a fleet file that cannot be used (the message names the entry and the line).

Examples:
  lading fleet plan fleet.toml
  lading fleet apply fleet.toml --max-builds 2 --json
  lading fleet apply fleet.toml --shard "$JOB_COMPLETION_INDEX/4"`,
  transport: 'undici',
  options: {
    shard: { type: 'string' }, 'max-builds': { type: 'string' }, concurrency: { type: 'string' }, trigger: { type: 'string', multiple: true },
    'buildpacks-dir': { type: 'string' }, 'no-sandbox': { type: 'boolean' }, network: { type: 'string' },
  },
  async run(ctx, args) {
    const [verb, file, extra] = args.positionals
    if (verb !== 'plan' && verb !== 'apply') throw new UsageError(`expected plan or apply, got ${verb === undefined ? 'nothing' : JSON.stringify(verb)}: usage: lading fleet plan|apply FILE`, 'fleet')
    if (!file) throw new UsageError(`missing FILE: usage: lading fleet ${verb} FILE`, 'fleet')
    if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)}`, 'fleet')
    const v = args.values
    let shard
    try {
      shard = typeof v.shard === 'string' ? parseShard(v.shard) : undefined
    } catch (err) {
      throw new UsageError((err as Error).message, 'fleet')
    }
    const maxBuilds = parseConcurrency(v['max-builds'], 1)
    const concurrency = parseConcurrency(v.concurrency, 16)
    const fleet = await readFleetFile(file)
    const entries = selectShard(fleet.images, shard)
    const platform = hostPlatform()
    const open = opener(ctx)
    const runImages = new RunImageCache((name) => openRunImage(ctx, name), ctx.signal)
    const builders = withPrepare(ctx, labelBuilders(open, platform, ctx.signal), platform)
    const buildpacks = new BuildpackLists(fleet.dir, v['buildpacks-dir'] as string | undefined)
    const started = Date.now()
    const plan = await planFleet(entries, {
      open, runImages, builders, buildpacks, platform, concurrency, trigger: new Set((v.trigger as string[] | undefined) ?? []),
      signal: ctx.signal,
    })
    const planMs = Date.now() - started
    if (verb === 'plan') {
      if (!ctx.flags.json) for (const item of plan) ctx.out.data(`${planLine(item)}\n`)
      const summary = planSummary(plan, planMs)
      if (ctx.flags.json) ctx.out.data(`${JSON.stringify({ images: plan.map(jsonItem), summary, ...shardInfo(shard, fleet.images.length) })}\n`)
      else ctx.out.data(`${entries.length} image(s)${shard ? ` (shard ${shard.index}/${shard.count} of ${fleet.images.length})` : ''}: ${summary.build} to build, ${summary.rebase} to rebase, ${summary.upToDate} up to date, ${summary.error} in error (${planMs} ms)\n`)
      return summary.error > 0 ? ExitCodes.FAILED : ExitCodes.OK
    }
    const { items, summary } = await applyPlan(plan, {
      runImages, concurrency, maxBuilds,
      build: {
        open, builders, buildpacks, platform, gitCache: join(ladingCacheDir(), 'git'), cacheHome: ladingCacheDir(),
        sandbox: !v['no-sandbox'], network: networkOn(v), signal: ctx.signal,
      },
      onResult: (item) => {
        if (ctx.flags.json) return
        if (item.result === 'unchanged' && item.action === 'up-to-date') ctx.out.info(resultLine(item))
        else ctx.out.data(`${resultLine(item)}\n`)
      },
    })
    if (ctx.flags.json) ctx.out.data(`${JSON.stringify({ images: items.map(jsonItem), summary: { ...summary, planMs }, ...shardInfo(shard, fleet.images.length) })}\n`)
    else ctx.out.data(`${applySummaryLine(summary, planMs)}\n`)
    return summary.failed > 0 ? ExitCodes.FAILED : ExitCodes.OK
  },
}

/** Adds builds from builder images, as `lading build --builder` does them; each builder opened once. */
function withPrepare(ctx: CommandContext, read: Builders, platform: Platform): Builders {
  const prepared = new Map<string, Promise<PreparedBuilder>>()
  const prepare = async (name: string): Promise<PreparedBuilder> => {
    const b = await openBuilder(ctx, name, platform)
    const store = createBuildpackStore()
    const order = await useBuilderOrder(b, store)
    return {
      store, order, rootfs: b.rootfs.rootfs, buildPath: b.rootfs.path, uid: b.rootfs.uid, gid: b.rootfs.gid, platformEnv: b.platformEnv,
      buildConfigEnvDir: b.buildConfigEnvDir || undefined,
    }
  }
  return {
    read: (name) => read.read(name),
    prepare(name) {
      let p = prepared.get(name)
      if (!p) {
        p = prepare(name)
        prepared.set(name, p)
      }
      return p
    },
  }
}

function opener(ctx: CommandContext): Opener {
  // One repository object per OCI layout: its index.json updates are serialised per object, and
  // a fleet writes many tags of one layout at once.
  const layouts = new Map<string, Target['repo']>()
  return async (name, opts) => {
    const t = await ctx.target(name, opts)
    const repo = t.ref ? t.repo : layouts.get(t.repo.name) ?? (layouts.set(t.repo.name, t.repo), t.repo)
    const base = t.ref ? t.ref.name() : t.repo.name
    return { repo, identifier: t.identifier, tags: t.tags, display: t.display, registry: t.ref?.registry ?? '', refs: t.tags.map((tag) => `${base}:${tag}`) }
  }
}

/** Opens a run image name; `oci:DIR@sha256:…` (a recorded reference to a layout) is read by digest. */
async function openRunImage(ctx: CommandContext, name: string) {
  const at = name.indexOf('@')
  if (name.startsWith('oci:') && at > 0) return { repo: (await ctx.target(name.slice(0, at))).repo, identifier: name.slice(at + 1) }
  return ctx.target(name)
}

const short = (d: string): string => d.startsWith('sha256:') ? d.slice(7, 19) : d.replace(/@sha256:([0-9a-f]{12})[0-9a-f]*/, '@$1')

function evidence(item: PlanItem): string {
  return item.evidence.map((e) => `${e.reason} ${short(e.old)} → ${short(e.new)}`).join('; ')
}

/** One plan line per image. */
export function planLine(item: PlanItem): string {
  switch (item.action) {
    case 'up-to-date': return `${item.tag}: up to date (${short(item.digest)})`
    case 'error': return `${item.tag}: error: ${item.error!.message}`
    default: return `${item.tag}: ${item.action} (${item.reasons.join(', ')}): ${evidence(item)}`
  }
}

/** One apply line per image. */
export function resultLine(item: ApplyItem): string {
  const took = item.ms ? ` in ${(item.ms / 1000).toFixed(1)} s` : ''
  switch (item.result) {
    case 'unchanged': return `${item.tag}: unchanged (${short(item.newDigest)})`
    case 'failed': return `${item.tag}: failed: ${item.failure!.message}`
    default: return `${item.tag}: ${item.result} ${item.digest ? short(item.digest) : '(new)'} → ${short(item.newDigest)} (${item.reasons.join(', ')})${took}${item.rebuiltBecause ? `; built because the rebase was refused: ${item.rebuiltBecause}` : ''}`
  }
}

function planSummary(items: readonly PlanItem[], ms: number) {
  const s = { images: items.length, build: 0, rebase: 0, upToDate: 0, error: 0, ms }
  for (const i of items) {
    if (i.action === 'up-to-date') s.upToDate++
    else s[i.action]++
  }
  return s
}

function applySummaryLine(s: ApplySummary, planMs: number): string {
  return `${s.images} image(s): ${s.built} built, ${s.rebased} rebased, ${s.unchanged} unchanged, ${s.failed} failed (plan ${planMs} ms, total ${s.ms + planMs} ms)`
}

function shardInfo(shard: { index: number; count: number } | undefined, total: number) {
  return shard ? { shard: { index: shard.index, count: shard.count, declared: total } } : {}
}

function jsonItem(item: PlanItem | ApplyItem): Record<string, unknown> {
  const { entry, ...rest } = item
  return { ...rest, line: entry.at.line }
}
