// `lading digest`: prints the manifest digest an image reference resolves to.
import { expectPositionals } from '../args.js'
import type { Command } from '../command.js'
import { manifestFor } from './manifest.js'

/** `lading digest REF`: the digest a reference resolves to. */
export const digestCommand: Command = {
  name: 'digest',
  summary: 'Print the digest an image reference resolves to',
  usage: 'digest REF [--platform OS/ARCH[/VARIANT]] [--json]',
  help: `Prints the manifest digest of REF (of the index for a multi-platform image, unless
--platform picks one of its images). The digest is computed over the bytes, not taken from
the registry's header.

Examples:
  lading digest registry.example.com/app:1.2
  lading digest oci:./out --json`,
  options: { platform: { type: 'string' } },
  async run(ctx, args) {
    const [ref] = expectPositionals(args, 'digest', ['REF'])
    const { target: t, parsed } = await manifestFor(ctx, ref!, args.values.platform)
    const d = parsed.descriptor
    if (ctx.flags.json) {
      ctx.out.data(`${JSON.stringify({ reference: t.display, digest: d.digest, mediaType: d.mediaType, size: d.size })}\n`)
    } else {
      ctx.out.data(`${d.digest}\n`)
    }
    return 0
  },
}
