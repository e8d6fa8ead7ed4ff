// The Command interface every CLI command implements: name, flags, help text and what it runs.
import type { OptionSpec, ParsedArgs } from './args.js'
import type { CommandContext, Transport } from './context.js'

/** One CLI command: its flags, its help text and what it does. Commands stay thin. */
export interface Command {
  name: string
  /** One line for `lading --help`. */
  summary: string
  /** Usage line after `lading `. */
  usage: string
  /** Longer help: flags and examples. */
  help: string
  options: OptionSpec
  /**
   * 'undici' for commands that stream layers they made up to registries (build, append…);
   * 'mixed' for those that may or may not stream blob bytes (copy: undici loads only if they do);
   * default 'node': Node's own HTTP, which a one-off command loads in a fraction of the time.
   */
  transport?: Transport
  /** Runs the command; returns the exit code (errors are thrown and mapped by main). */
  run(ctx: CommandContext, args: ParsedArgs): Promise<number>
}
