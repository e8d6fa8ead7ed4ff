// `lading manifest`: prints an image's raw manifest or index bytes, exactly as stored.
import { expectPositionals } from '../args.js'
import type { Command } from '../command.js'
import type { CommandContext, Target } from '../context.js'
import type { ImageIndex, ImageManifest, Parsed } from '../../oci/index.js'
import { narrowToImage } from '../../remote/index.js'

/** `lading manifest REF`: the manifest's exact bytes, as the registry stores them. */
export const manifestCommand: Command = {
  name: 'manifest',
  summary: 'Print the raw manifest (or index) of an image',
  usage: 'manifest REF [--platform OS/ARCH[/VARIANT]]',
  help: `Prints the manifest bytes exactly as stored, so they hash to the image digest.
With --platform, an index is narrowed to that platform's manifest first.

Examples:
  lading manifest registry.example.com/app:1.2
  lading manifest oci:./out:latest --platform linux/arm64`,
  options: { platform: { type: 'string' } },
  async run(ctx, args) {
    const [ref] = expectPositionals(args, 'manifest', ['REF'])
    ctx.out.data((await manifestFor(ctx, ref!, args.values.platform)).parsed.bytes)
    return 0
  },
}

/** The manifest REF names, narrowed to `--platform` when one is given. */
export async function manifestFor(ctx: CommandContext, ref: string, platformFlag: unknown): Promise<{ target: Target; parsed: Parsed<ImageManifest | ImageIndex> }> {
  const target = await ctx.target(ref)
  let parsed = await target.repo.manifests.get(target.identifier, ctx.signal)
  const platform = ctx.platform(platformFlag)
  if (platform) parsed = await narrowToImage(target.repo, parsed, platform, ctx.signal)
  return { target, parsed }
}
