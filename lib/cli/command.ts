// The Command interface every CLI command implements: name, flags, help text and what it runs.
import type { OptionSpec, ParsedArgs } from './args.js'
import type { CommandContext } from './context.js'

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
  /** Runs the command; returns the exit code (errors are thrown and mapped by main). */
  run(ctx: CommandContext, args: ParsedArgs): Promise<number>
}
