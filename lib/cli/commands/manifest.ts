import { expectPositionals } from '../args.js'
import type { Command } from '../command.js'
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
    const t = await ctx.target(ref!)
    let parsed = await t.repo.manifests.get(t.identifier)
    const platform = ctx.platform(args.values.platform)
    if (platform) parsed = await narrowToImage(t.repo, parsed, platform)
    ctx.out.data(parsed.bytes)
    return 0
  },
}
