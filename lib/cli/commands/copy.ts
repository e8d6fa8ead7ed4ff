// `lading copy`: copies an image between registries and OCI layouts, keeping its digest.
import { expectPositionals, UsageError } from '../args.js'
import type { Command } from '../command.js'
import { copyImage, TransferLedger } from '../../remote/index.js'
import { formatBytes } from '../output.js'
import { definedOnly } from '../../defined.js'
import type { TransferEvent } from '../../oci/index.js'

/** `lading copy SRC DST`: registry ⇄ registry ⇄ OCI layout, digests kept. */
export const copyCommand: Command = {
  name: 'copy',
  summary: 'Copy an image between registries and OCI layouts',
  // Layers are streamed in resumable chunks, and SIGINT/SIGTERM stop them at a chunk boundary:
  // the upload path built on undici's pool (push-trust). Requests that move no blob bytes
  // (manifests, HEADs, mounts) go over Node's http, so a copy inside one registry never loads the pool.
  transport: 'mixed',
  usage: 'copy SRC DST [--all-platforms | --platform OS/ARCH[/VARIANT]] [--concurrency N] [--json]',
  help: `Copies SRC to DST keeping the manifest bytes, so the digest is the same on both sides.
SRC and DST are registry references or oci:DIR[:TAG]. Blobs DST already has are skipped;
inside one registry they are mounted from SRC's repository, so no blob byte is uploaded.

Flags:
  --all-platforms    copy a multi-platform index with every image in it
  --platform P       pick P from an index (default: this machine's platform)
  --concurrency N    blobs in flight at once (default 4)

Examples:
  lading copy docker.io/library/busybox:1.36 registry.example.com/mirror/busybox:1.36
  lading copy registry.example.com/app:1.2 oci:./app-layout:1.2 --all-platforms`,
  options: {
    'all-platforms': { type: 'boolean' },
    platform: { type: 'string' },
    concurrency: { type: 'string' },
  },
  async run(ctx, args) {
    const [srcArg, dstArg] = expectPositionals(args, 'copy', ['SRC', 'DST'])
    const platform = ctx.platform(args.values.platform)
    if (platform && args.values['all-platforms']) throw new UsageError('--platform and --all-platforms exclude each other', 'copy')
    const concurrency = parseConcurrency(args.values.concurrency)
    const src = await ctx.target(srcArg!)
    const dst = await ctx.target(dstArg!, { create: true })
    const ledger = new TransferLedger()
    const started = Date.now()
    const desc = await copyImage(src.repo, src.identifier, dst.repo, dst.tags, definedOnly({
      allPlatforms: Boolean(args.values['all-platforms']),
      platform,
      concurrency,
      // SIGINT/SIGTERM: uploads stop at a chunk boundary and keep their sessions for the next run.
      signal: ctx.signal,
      onProgress: (ev: TransferEvent) => {
        ledger.record(ev)
        ctx.out.progress(ev)
      },
    }))
    const t = ledger.totals
    if (ctx.flags.json) {
      ctx.out.data(`${JSON.stringify({
        source: src.display, destination: dst.display, digest: desc.digest, mediaType: desc.mediaType, size: desc.size,
        transfer: t, ms: Date.now() - started,
      })}\n`)
    } else {
      ctx.out.info(`copied ${src.display} to ${dst.display}: uploaded ${formatBytes(t.bytesUploaded)}, mounted ${t.blobsMounted} blob(s), ${t.blobsExisting} already present`)
      ctx.out.data(`${desc.digest}\n`)
    }
    return 0
  },
}

/** Parses --concurrency as a positive integer. */
export function parseConcurrency(v: unknown, fallback = 4): number {
  if (v === undefined) return fallback
  const n = Number(v)
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError(`--concurrency must be an integer from 1 to 64, got ${JSON.stringify(v)}`)
  return n
}
