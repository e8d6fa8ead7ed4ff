// `lading append`: pushes a base image plus one new layer per directory, without buildpacks.
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { expectPositionals, UsageError } from '../args.js'
import type { Command } from '../command.js'
import type { CommandContext } from '../context.js'
import { appendLayers, emptyImage, type Image } from '../../image/index.js'
import { layerFromDirectory } from '../../layer/index.js'
import { hostPlatform } from '../../oci/index.js'
import { fetchImage, pushImage, TransferLedger } from '../../remote/index.js'
import { parseConcurrency } from './copy.js'
import { formatBytes } from '../output.js'

/** One `--layer DIR:PATH` flag. */
export interface LayerSpec { dir: string; path: string }

/** Splits `DIR:PATH` at the last `:/` (PATH is absolute; DIR may itself contain colons). */
export function parseLayerSpec(spec: string): LayerSpec {
  const i = spec.lastIndexOf(':/')
  if (i <= 0) throw new UsageError(`--layer ${JSON.stringify(spec)}: expected DIR:PATH with an absolute PATH, e.g. ./app:/workspace`, 'append')
  const path = spec.slice(i + 1).replace(/\/+$/, '') || '/'
  return { dir: resolve(spec.slice(0, i)), path }
}

/** Fixed creation time of what lading writes, so the same inputs give the same digest. */
export const EPOCH = new Date('1980-01-01T00:00:01Z')

/** `lading append BASE DST --layer DIR:PATH ...`: base + one layer per directory. */
export const appendCommand: Command = {
  name: 'append',
  summary: 'Make a new image from a base plus directories as layers',
  usage: 'append BASE DST --layer DIR:PATH [--layer DIR:PATH ...] [--uid N] [--gid N] [--platform P] [--json]',
  help: `Builds DST = BASE + one layer per --layer, in order: the contents of DIR placed at PATH
(parent directories included). Layers are deterministic (sorted entries, fixed timestamps,
normalized owners), so the same inputs give the same digest. BASE may be "scratch".
Base layers are never downloaded: they are mounted or skipped when DST is in the same registry.

Flags:
  --layer DIR:PATH   a directory and where it goes in the image (repeatable, at least one)
  --uid N, --gid N   owner of the files in the new layers (default 0:0)
  --platform P       pick P from a multi-platform BASE (default: this machine's)

Examples:
  lading append registry.example.com/base:1 registry.example.com/app:1 --layer ./dist:/app
  lading append scratch oci:./out:app --layer ./rootfs:/`,
  transport: 'undici',
  options: {
    layer: { type: 'string', multiple: true },
    uid: { type: 'string' },
    gid: { type: 'string' },
    platform: { type: 'string' },
    concurrency: { type: 'string' },
  },
  async run(ctx, args) {
    const [baseArg, dstArg] = expectPositionals(args, 'append', ['BASE', 'DST'])
    const specs = ((args.values.layer as string[] | undefined) ?? []).map(parseLayerSpec)
    if (specs.length === 0) throw new UsageError('append needs at least one --layer DIR:PATH', 'append')
    const uid = parseId(args.values.uid, '--uid')
    const gid = parseId(args.values.gid, '--gid')
    for (const s of specs) await requireDirectory(s.dir)
    const platform = ctx.platform(args.values.platform)
    const dst = await ctx.target(dstArg!, { create: true })
    const base = await loadBase(ctx, baseArg!, platform)
    // Into an OCI layout the layers are written straight into its blob store (same
    // `sha256/<hex>` shape), so the push finds them there instead of copying each one again.
    const layoutBlobs = dst.repo.name.startsWith('oci:') ? join(dst.repo.name.slice(4), 'blobs') : undefined
    const store = layoutBlobs ?? await mkdtemp(join(tmpdir(), 'lading-append-'))
    try {
      const started = Date.now()
      const layers = []
      for (const s of specs) {
        const layer = await layerFromDirectory(s.dir, { target: s.path, uid, gid, mtime: EPOCH, storeDir: store, ...(ctx.signal ? { signal: ctx.signal } : {}) })
        ctx.out.info(`layer ${s.dir} → ${s.path}: ${layer.digestValue} (${formatBytes(layer.sizeValue)})`)
        layers.push({ layer, history: { created: EPOCH.toISOString().replace(/\.\d{3}Z$/, 'Z'), created_by: `lading append ${s.path}` } })
      }
      const image = appendLayers(base, ...layers)
      const ledger = new TransferLedger()
      const desc = await pushImage(dst.repo, image, dst.tags, {
        concurrency: parseConcurrency(args.values.concurrency),
        signal: ctx.signal,
        onProgress: (ev) => {
          ledger.record(ev)
          ctx.out.progress(ev)
        },
      })
      if (ctx.flags.json) {
        ctx.out.data(`${JSON.stringify({ image: dst.display, digest: desc.digest, mediaType: desc.mediaType, size: desc.size, transfer: ledger.totals, ms: Date.now() - started })}\n`)
      } else {
        ctx.out.info(`wrote ${dst.display}`)
        ctx.out.data(`${desc.digest}\n`)
      }
      return 0
    } finally {
      if (!layoutBlobs) await rm(store, { recursive: true, force: true })
    }
  },
}

async function loadBase(ctx: CommandContext, arg: string, platform: ReturnType<CommandContext['platform']>): Promise<Image> {
  if (arg === 'scratch') return emptyImage(platform ?? hostPlatform())
  const t = await ctx.target(arg)
  return fetchImage(t.repo, t.identifier, { signal: ctx.signal, ...(platform ? { platform } : {}) })
}

function parseId(v: unknown, flag: string): number {
  if (v === undefined) return 0
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new UsageError(`${flag} must be a non-negative integer, got ${JSON.stringify(v)}`, 'append')
  return n
}

async function requireDirectory(dir: string): Promise<void> {
  const st = await stat(dir).catch(() => undefined)
  if (!st?.isDirectory()) throw new UsageError(`--layer ${dir}: not a directory`, 'append')
}
