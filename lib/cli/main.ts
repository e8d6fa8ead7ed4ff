import { inspect } from 'node:util'
import { LadingError } from '../errors.js'
import { ExitCodes, exitCodeFor } from '../exit-codes.js'
import { findCommand, parseCommandArgs, UsageError } from './args.js'
import type { Command } from './command.js'
import { appendCommand } from './commands/append.js'
import { buildCommand } from './commands/build.js'
import { builderCommand } from './commands/builder.js'
import { inspectCommand } from './commands/inspect.js'
import { rebaseCommand } from './commands/rebase.js'
import { configCommand } from './commands/config.js'
import { copyCommand } from './commands/copy.js'
import { digestCommand } from './commands/digest.js'
import { manifestCommand } from './commands/manifest.js'
import { tagsCommand } from './commands/tags.js'
import { CommandContext } from './context.js'
import { Output, type CliIo } from './output.js'

export const VERSION = '0.1.0'

/** Every command, in the order `--help` lists them. */
export const COMMANDS: readonly Command[] = [
  buildCommand, builderCommand, rebaseCommand, inspectCommand, copyCommand, appendCommand, manifestCommand, configCommand, digestCommand, tagsCommand,
]

const GLOBAL_HELP = `Global flags (before or after the command):
  --insecure-registry HOST   allow plain HTTP / unverified TLS for HOST (repeatable;
                             loopback registries are always allowed plain HTTP)
  --ca-cert FILE             trust the CA certificates in FILE (PEM; repeatable)
  -q, --quiet                print only data and errors
  --json                     print machine-readable JSON where the output is data
  -v, --verbose              print registry requests (never credentials)
  -h, --help                 help for lading or a command
  --version                  print lading's version

Images are registry references (registry.example.com/team/app:tag, name@sha256:...)
or OCI image layouts on disk: oci:DIR[:TAG].
Credentials come from CNB_REGISTRY_AUTH, DOCKER_AUTH_CONFIG, or Docker's config.json
($DOCKER_CONFIG, ~/.docker) including credential helpers.`

function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length))
  const list = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')
  return `lading: daemonless, registry-native image tool for Cloud Native Buildpacks

Usage: lading COMMAND [ARGS] [FLAGS]

Commands:
${list}

${GLOBAL_HELP}

Run 'lading COMMAND --help' for a command's flags and examples.
`
}

function commandHelp(c: Command): string {
  return `Usage: lading ${c.usage}

${c.summary}.

${c.help}

${GLOBAL_HELP}
`
}

/**
 * Runs lading with `argv` (without node and script); returns the exit code. Every error
 * becomes one line on stderr and a code from the exit-code table; nothing here exits.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const known = new Set(COMMANDS.map((c) => c.name))
  const name = findCommand(argv, known)
  const command = COMMANDS.find((c) => c.name === name)
  let ctx: CommandContext | undefined
  try {
    if (!command) {
      const args = parseCommandArgs(argv, name ?? '', {})
      if (args.global.version) return write(io, `lading ${VERSION}\n`)
      if (args.global.help || name === undefined || name === 'help') return write(io, topHelp())
      throw new UsageError(`unknown command ${JSON.stringify(name)}; run 'lading --help' for the list`)
    }
    const args = parseCommandArgs(argv, command.name, command.options)
    if (args.global.help) return write(io, commandHelp(command))
    const out = new Output(io, args.global)
    ctx = new CommandContext(out, args.global)
    return await command.run(ctx, args)
  } catch (err) {
    return report(io, err, command, argv.includes('--verbose') || argv.includes('-v'))
  } finally {
    await ctx?.close().catch(() => {})
  }
}

function write(io: CliIo, text: string): number {
  io.stdout.write(text)
  return ExitCodes.OK
}

function report(io: CliIo, err: unknown, command: Command | undefined, verbose: boolean): number {
  const code = err instanceof LadingError ? err.code : undefined
  const message = err instanceof Error ? err.message : String(err)
  io.stderr.write(`error: ${message}\n`)
  if (err instanceof UsageError) {
    io.stderr.write(`run 'lading ${command ? `${command.name} ` : ''}--help' for usage\n`)
  } else if (verbose && err instanceof Error) {
    io.stderr.write(`${inspect(err, { depth: 4 })}\n`)
  }
  // Phase errors carry the lifecycle's exit code for their phase; everything else maps by code.
  const phaseCode = (err as { exitCode?: unknown }).exitCode
  return typeof phaseCode === 'number' && err instanceof LadingError ? phaseCode : exitCodeFor(code)
}

/** Entry point for bin/lading: the only place that touches process.argv and process.exit. */
export async function run(): Promise<void> {
  const controller = new AbortController()
  process.once('SIGINT', () => {
    controller.abort()
    process.exit(ExitCodes.INTERRUPTED)
  })
  const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr })
  // Let stdout drain (a pipe may be slow) before exiting.
  process.stdout.write('', () => process.exit(code))
}
