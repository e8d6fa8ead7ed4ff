/** `lading buildpack package|inspect`: make a buildpackage from pack's package.toml (image or .cnb), or show one. */
import { mkdtemp } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { expectPositionals, UsageError } from '../args.js'
import type { Command } from '../command.js'
import type { CommandContext } from '../context.js'
import { sourceContext } from '../distribution-io.js'
import { pushImage, TransferLedger } from '../../remote/index.js'
import type { TransferEvent } from '../../oci/index.js'
import { createBuildpackage, readPackageToml, writeCnbFile } from '../../distribution/index.js'
import { inspectModules, type InspectFormat } from './inspect-modules.js'

/** `lading buildpack`: package or inspect. */
export const buildpackCommand: Command = {
  name: 'buildpack',
  summary: 'Package a buildpack (image or .cnb) from package.toml, or inspect a buildpackage',
  usage: 'buildpack package OUT --config package.toml [--format image|file] | buildpack inspect REF [--output human|json|yaml|toml]',
  help: `package: reads pack's package.toml ([buildpack] uri; [[dependencies]] by directory, image or
.cnb; [platform] os) and writes a buildpackage the way pack does: one layer per buildpack under
/cnb/buildpacks/<id>/<version>/, labels io.buildpacks.buildpackage.metadata and
io.buildpacks.buildpack.layers. OUT is a registry reference, oci:DIR[:TAG], or a .cnb file (an
uncompressed tar of an OCI layout; --format file). The same inputs give the same digest; a
dependency already in the target registry is mounted, not uploaded.

inspect: a buildpackage (registry reference, oci:DIR[:TAG] or .cnb file), as pack shows it.

Flags:
  --config FILE     package.toml (package; default ./package.toml)
  --format F        image (default unless OUT ends in .cnb) or file
  --output FORMAT   human (default), json, yaml or toml (inspect)

Examples:
  lading buildpack package registry.example.com/team/node-bp:1 --config package.toml
  lading buildpack package ./node.cnb --config package.toml --format file`,
  transport: 'undici',
  options: { config: { type: 'string' }, format: { type: 'string' }, output: { type: 'string' } },
  async run(ctx, args) {
    const [sub, ref] = expectPositionals(args, 'buildpack', ['package|inspect', 'REF'])
    if (sub === 'package') return packageCommand(ctx, ref!, resolve((args.values.config as string | undefined) ?? 'package.toml'), args.values.format as string | undefined)
    if (sub === 'inspect') return inspectModules(ctx, ref!, 'buildpack', (args.values.output as InspectFormat | undefined) ?? 'human')
    throw new UsageError(`unknown subcommand ${JSON.stringify(sub)}: use package or inspect`, 'buildpack')
  },
}

async function packageCommand(ctx: CommandContext, out: string, configFile: string, format: string | undefined): Promise<number> {
  const fmt = format ?? (out.endsWith('.cnb') ? 'file' : 'image')
  if (fmt !== 'image' && fmt !== 'file') throw new UsageError(`--format must be image or file, got ${JSON.stringify(format)}`, 'buildpack')
  if (fmt === 'file' && out.startsWith('oci:')) throw new UsageError('--format file writes a .cnb file: give a file path, not oci:DIR', 'buildpack')
  const config = await readPackageToml(configFile)
  const sources = await sourceContext(ctx)
  const { image, top } = await createBuildpackage(config, sources)
  const digest = await image.digest()
  const ledger = new TransferLedger()
  if (fmt === 'file') {
    await writeCnbFile(image, resolve(out), await mkdtemp(join(await ctx.scratchDir(), 'cnb-out-')))
  } else {
    const target = await ctx.target(out, { create: true })
    const onProgress = (e: TransferEvent): void => {
      ledger.record(e)
      ctx.out.progress(e)
    }
    await pushImage(target.repo, image, target.tags, { onProgress, signal: ctx.signal })
  }
  if (ctx.flags.json) ctx.out.data(`${JSON.stringify({ digest, id: top.id, version: top.version, transfer: ledger.totals })}\n`)
  else {
    ctx.out.info(`buildpackage ${top.id}@${top.version} written to ${out}`)
    ctx.out.data(`${digest}\n`)
  }
  return 0
}
