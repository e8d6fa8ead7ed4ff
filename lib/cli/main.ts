/** lading's command line: the command table, help, and the one place errors become exit codes.
 * Commands load on demand (`load`), so a command pays at start-up only for the modules it uses:
 * `--version` loads no registry client, `digest` no layer or build code.
 */
import { inspect } from 'node:util'
import { LadingError } from '../errors.js'
import { ExitCodes, exitCodeFor } from '../exit-codes.js'
import { findCommand, parseCommandArgs, UsageError } from './args.js'
import type { Command } from './command.js'
import type { CommandContext } from './context.js'
import { Output, type CliIo } from './output.js'

export const VERSION = '0.1.0'

/** A row of the command table: what `--help` lists, and how to load the command when it runs. */
export interface CommandEntry { name: string; summary: string; load(): Promise<Command> }

/**
 * Every command, in the order `--help` lists them. To add one: a row here with its name, the
 * same one-line summary as its Command, and `load: async () => (await import('./commands/x.js')).xCommand`
 * (a dynamic import, so nothing of it loads for other commands; test/cli/main.test.ts checks
 * the row matches the command).
 */
export const COMMANDS: readonly CommandEntry[] = [
  { name: 'build', summary: 'Build an app image from source with Cloud Native Buildpacks and publish it', load: async () => (await import('./commands/build.js')).buildCommand },
  { name: 'builder', summary: 'Create a builder from builder.toml, or inspect one', load: async () => (await import('./commands/builder.js')).builderCommand },
  { name: 'rebase', summary: 'Move app images onto a patched run image without a rebuild', load: async () => (await import('./commands/rebase.js')).rebaseCommand },
  { name: 'inspect', summary: 'Show what an app image is made of: base, run images, buildpacks, processes, SBOM', load: async () => (await import('./commands/inspect.js')).inspectCommand },
  { name: 'copy', summary: 'Copy an image between registries and OCI layouts', load: async () => (await import('./commands/copy.js')).copyCommand },
  { name: 'append', summary: 'Make a new image from a base plus directories as layers', load: async () => (await import('./commands/append.js')).appendCommand },
  { name: 'manifest', summary: 'Print the raw manifest (or index) of an image', load: async () => (await import('./commands/manifest.js')).manifestCommand },
  { name: 'config', summary: 'Print the config blob of an image', load: async () => (await import('./commands/config.js')).configCommand },
  { name: 'digest', summary: 'Print the digest an image reference resolves to', load: async () => (await import('./commands/digest.js')).digestCommand },
  { name: 'tags', summary: 'List the tags of a repository', load: async () => (await import('./commands/tags.js')).tagsCommand },
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
  const entry = COMMANDS.find((c) => c.name === name)
  let command: Command | undefined
  let ctx: CommandContext | undefined
  try {
    if (entry) command = await entry.load()
    if (!command) {
      const args = parseCommandArgs(argv, name ?? '', {})
      if (args.global.version) return write(io, `lading ${VERSION}\n`)
      if (args.global.help || name === undefined || name === 'help') return write(io, topHelp())
      throw new UsageError(`unknown command ${JSON.stringify(name)}; run 'lading --help' for the list`)
    }
    const args = parseCommandArgs(argv, command.name, command.options)
    if (args.global.help) return write(io, commandHelp(command))
    const out = new Output(io, args.global)
    // The context brings the registry client and layouts: loaded only when a command runs.
    const { CommandContext } = await import('./context.js')
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
