// `lading tags`: lists every tag of a repository.
import { expectPositionals } from '../args.js'
import type { Command } from '../command.js'

/** `lading tags REPO`: every tag of a repository, following pagination. */
export const tagsCommand: Command = {
  name: 'tags',
  summary: 'List the tags of a repository',
  usage: 'tags REPO [--json]',
  help: `Lists every tag of REPO, one a line (all pages of the registry's listing), or a JSON
array with --json. REPO may carry a tag; it is ignored.

Examples:
  lading tags registry.example.com/app
  lading tags oci:./out --json`,
  options: {},
  async run(ctx, args) {
    const [ref] = expectPositionals(args, 'tags', ['REPO'])
    const t = await ctx.target(ref!)
    const tags: string[] = []
    for await (const tag of t.repo.tags(ctx.signal)) {
      tags.push(tag)
      if (!ctx.flags.json) ctx.out.data(`${tag}\n`)
    }
    if (ctx.flags.json) ctx.out.data(`${JSON.stringify(tags)}\n`)
    return 0
  },
}
