/** `lading builder create|inspect`: make a builder from pack's builder.toml, or show one in pack's sections. */
import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { expectPositionals, UsageError } from '../args.js'
import type { Command } from '../command.js'
import type { CommandContext } from '../context.js'
import { openImage, sourceContext } from '../distribution-io.js'
import { pushImage, TransferLedger } from '../../remote/index.js'
import type { TransferEvent } from '../../oci/index.js'
import {
  createBuilder, lifecycleFromArchive, lifecycleFromImage, readBuilderToml, DistributionError, type LifecycleParts,
} from '../../distribution/index.js'
import { inspectModules, type InspectFormat } from './inspect-modules.js'
import { definedOnly } from '../../defined.js'

/** `lading builder`: create or inspect. */
export const builderCommand: Command = {
  name: 'builder',
  summary: 'Create a builder from builder.toml, or inspect one',
  usage: 'builder create REF --config builder.toml | builder inspect REF [--output human|json|yaml|toml]',
  help: `create: reads pack's builder.toml ([[buildpacks]] by directory, docker:// or registry
reference; [[order]]; [build] image and [[build.env]]; [[run.images]] with mirrors; legacy
[stack]; [lifecycle] uri = a lifecycle archive or image) and writes the builder the way pack lays
it out to REF (registry reference or oci:DIR[:TAG]). Buildpacks taken from buildpackages keep their
layers, and a directory always gives the same layer, so re-creating uploads only what changed.

inspect: description, created-by, run images with mirrors, lifecycle version and APIs, the
buildpacks and the detection order, as pack shows them; --output json|yaml|toml in pack's schema.

Flags:
  --config FILE     builder.toml (create; default ./builder.toml)
  --output FORMAT   human (default), json, yaml or toml (inspect)
  --concurrency N   uploads in flight (default 4)

Examples:
  lading builder create registry.example.com/team/builder:1 --config builder.toml
  lading builder inspect registry.example.com/team/builder:1 --output json`,
  transport: 'undici',
  options: { config: { type: 'string' }, output: { type: 'string' }, concurrency: { type: 'string' } },
  async run(ctx, args) {
    const [sub, ref] = expectPositionals(args, 'builder', ['create|inspect', 'REF'])
    if (sub === 'create') return createBuilderCommand(ctx, ref!, resolve((args.values.config as string | undefined) ?? 'builder.toml'), args.values.concurrency as string | undefined)
    if (sub === 'inspect') return inspectModules(ctx, ref!, 'builder', (args.values.output as InspectFormat | undefined) ?? 'human')
    throw new UsageError(`unknown subcommand ${JSON.stringify(sub)}: use create or inspect`, 'builder')
  },
}

async function createBuilderCommand(ctx: CommandContext, ref: string, configFile: string, concurrency?: string): Promise<number> {
  const started = Date.now()
  const config = await readBuilderToml(configFile)
  if (config.ignored.length) ctx.out.warn(`${configFile}: ${config.ignored.map((k) => `[[${k}]]`).join(', ')} ignored (image extensions are not supported; the builder is made for this host's platform)`)
  const sources = await sourceContext(ctx)
  const buildImage = await openImage(ctx, config.buildImage)
  const lifecycle = config.lifecycle ? await readLifecycle(ctx, config.lifecycle, sources.storeDir, configFile) : undefined
  if (!lifecycle) ctx.out.warn('no [lifecycle] in builder.toml: the builder has no lifecycle binaries, so pack cannot use it (lading can); add [lifecycle] uri = "<archive or image>"')
  const { image, metadata } = await createBuilder(definedOnly({ config, buildImage, sources, storeDir: sources.storeDir, lifecycle }))
  const target = await ctx.target(ref, { create: true })
  const ledger = new TransferLedger()
  const onProgress = (e: TransferEvent): void => {
    ledger.record(e)
    ctx.out.progress(e)
  }
  const n = concurrency ? Number(concurrency) : 4
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--concurrency must be a positive integer, got ${JSON.stringify(concurrency)}`, 'builder')
  const desc = await pushImage(target.repo, image, target.tags, { onProgress, concurrency: n, signal: ctx.signal })
  if (ctx.flags.json) {
    ctx.out.data(`${JSON.stringify({ digest: desc.digest, buildpacks: metadata.buildpacks, transfer: ledger.totals, ms: Date.now() - started })}\n`)
  } else {
    ctx.out.info(`builder ${target.display}: ${metadata.buildpacks.length} buildpack(s); uploaded ${ledger.totals.blobsUploaded} blob(s), ${ledger.totals.blobsExisting} already there, ${ledger.totals.blobsMounted} mounted`)
    ctx.out.data(`${desc.digest}\n`)
  }
  return 0
}

async function readLifecycle(ctx: CommandContext, lc: { uri?: string; version?: string }, storeDir: string, file: string): Promise<LifecycleParts> {
  if (!lc.uri) {
    throw new DistributionError('CONFIG_INVALID', file, `[lifecycle] version = "${lc.version}" would need a download from GitHub, which lading does not do: set [lifecycle] uri to a lifecycle archive (.tgz) or a lifecycle image (docker://…/lifecycle:${lc.version ?? 'X.Y.Z'})`)
  }
  if (lc.uri.startsWith('/') && (await stat(lc.uri).catch(() => undefined))?.isFile()) return lifecycleFromArchive(lc.uri, storeDir)
  const ref = lc.uri.replace(/^docker:\/\//, '')
  return lifecycleFromImage(await openImage(ctx, ref), ref, storeDir)
}
