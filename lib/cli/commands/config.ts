import { expectPositionals } from '../args.js'
import type { Command } from '../command.js'
import { fetchImage } from '../../remote/index.js'

/** `lading config REF`: the image config blob's exact bytes. */
export const configCommand: Command = {
  name: 'config',
  summary: 'Print the config blob of an image',
  usage: 'config REF [--platform OS/ARCH[/VARIANT]]',
  help: `Prints the image config (environment, entrypoint, labels, diff_ids, history) exactly as
stored. An index is narrowed to --platform, by default the host's.

Examples:
  lading config registry.example.com/app:1.2 | jq .config.Labels`,
  options: { platform: { type: 'string' } },
  async run(ctx, args) {
    const [ref] = expectPositionals(args, 'config', ['REF'])
    const t = await ctx.target(ref!)
    const platform = ctx.platform(args.values.platform)
    const image = await fetchImage(t.repo, t.identifier, platform ? { platform } : {})
    ctx.out.data(await image.rawConfig())
    return 0
  },
}
