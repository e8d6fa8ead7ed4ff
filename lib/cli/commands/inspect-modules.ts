/** `builder inspect` / `buildpack inspect`: pack's sections for people, pack's schema for --output json|yaml|toml. */
import type { CommandContext } from '../context.js'
import { UsageError } from '../args.js'

export type InspectFormat = 'human' | 'json' | 'yaml' | 'toml'

/** Shows a builder or a buildpackage. */
export async function inspectModules(_ctx: CommandContext, _ref: string, kind: 'builder' | 'buildpack', _format: InspectFormat): Promise<number> {
  throw new UsageError(`${kind} inspect is not available yet`, kind)
}
