// The CLI entry: the command table (each command loaded only when it runs), dispatch, errors and exit codes, signals.
import { setMaxListeners } from 'node:events'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { LadingError } from '../errors.js'
import { ExitCodes, exitCodeFor } from '../exit-codes.js'
import { findCommand, parseCommandArgs, UsageError } from './args.js'
import type { Command } from './command.js'
import type { CommandContext, CommandRuntime } from './context.js'
import { FdWriter } from './fd-writer.js'
import { Output, type CliIo } from './output.js'

export const VERSION = '0.1.0'

/** A row of the command table: what `--help` lists, and how to load the command when it runs. */
export interface CommandEntry { name: string; summary: string; load(): Promise<Command> }

/**
 * Every command, in the order `--help` lists them. Commands load on demand, so a command pays at
 * start-up only for the modules it uses (`--version` loads no registry client). To add one: a
 * row with its name, the same one-line summary as its Command, and
 * `load: async () => (await import('./commands/x.js')).xCommand` (a dynamic import: nothing of
 * it loads for other commands; test/cli/main.test.ts checks the row matches the command).
 */
export const COMMANDS: readonly CommandEntry[] = [
  { name: 'build', summary: 'Build an app image from source with Cloud Native Buildpacks and publish it', load: async () => (await import('./commands/build.js')).buildCommand },
  { name: 'builder', summary: 'Create a builder from builder.toml, or inspect one', load: async () => (await import('./commands/builder.js')).builderCommand },
  { name: 'buildpack', summary: 'Package a buildpack (image or .cnb) from package.toml, or inspect a buildpackage', load: async () => (await import('./commands/buildpack.js')).buildpackCommand },
  { name: 'rebase', summary: 'Move app images onto a patched run image without a rebuild', load: async () => (await import('./commands/rebase.js')).rebaseCommand },
  { name: 'fleet', summary: 'Plan or apply a fleet of images declared in one file (build, rebase, or leave alone)', load: async () => (await import('./commands/fleet.js')).fleetCommand },
  { name: 'inspect', summary: 'Show what an app image is made of: base, run images, buildpacks, processes, SBOM', load: async () => (await import('./commands/inspect.js')).inspectCommand },
  { name: 'copy', summary: 'Copy an image between registries and OCI layouts', load: async () => (await import('./commands/copy.js')).copyCommand },
  { name: 'append', summary: 'Make a new image from a base plus directories as layers', load: async () => (await import('./commands/append.js')).appendCommand },
  { name: 'manifest', summary: 'Print the raw manifest (or index) of an image', load: async () => (await import('./commands/manifest.js')).manifestCommand },
  { name: 'config', summary: 'Show or change settings (default-builder), or print the config blob of an image', load: async () => (await import('./commands/config.js')).configCommand },
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

/** The command `argv` names, as main() reads it (a global flag's value is never the command); bin/lading checks its per-command bundle with it. */
export function commandOf(argv: readonly string[]): string | undefined {
  return findCommand(argv, new Set(COMMANDS.map((c) => c.name)))
}

/**
 * Runs lading with `argv` (without node and script); returns the exit code. Every error
 * becomes one line on stderr and a code from the exit-code table; nothing here exits.
 */
export async function main(argv: readonly string[], io: CliIo, runtime: CommandRuntime & { debug?: boolean } = {}): Promise<number> {
  const name = commandOf(argv)
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
    ctx = new CommandContext(out, args.global, runtime, command.transport ?? 'node')
    const code = await command.run(ctx, args)
    // Commands that go item by item (rebase, fleet) report a signal as failed items and return: say why it stopped.
    runtime.signal?.throwIfAborted()
    return code
  } catch (err) {
    // after SIGINT/SIGTERM, whatever the command failed with, the signal is why
    const reason: unknown = runtime.signal?.aborted ? runtime.signal.reason : undefined
    return report(io, reason instanceof LadingError ? reason : err, command, runtime.debug === true)
  } finally {
    await ctx?.close().catch(() => {})
  }
}

function write(io: CliIo, text: string): number {
  io.stdout.write(text)
  return ExitCodes.OK
}

/** Stack traces are for lading's developers: only with LADING_DEBUG=1, never with -v. */
function report(io: CliIo, err: unknown, command: Command | undefined, debug: boolean): number {
  const code = err instanceof LadingError ? err.code : undefined
  const message = err instanceof Error ? err.message : String(err)
  io.stderr.write(`error: ${message}\n`)
  if (err instanceof UsageError) {
    io.stderr.write(`run 'lading ${command ? `${command.name} ` : ''}--help' for usage\n`)
  } else if (debug && err instanceof Error) {
    io.stderr.write(`${inspect(err, { depth: 4 })}\n`)
  }
  // Phase errors carry the lifecycle's exit code for their phase; everything else maps by code.
  const phaseCode = (err as { exitCode?: unknown }).exitCode
  return typeof phaseCode === 'number' && err instanceof LadingError ? phaseCode : exitCodeFor(code)
}

/**
 * Host paths named by the environment that may hold credentials, plus lading's and the user's own
 * cache and config dirs: the buildpack sandbox leaves all of them out.
 */
export function secretPaths(env: NodeJS.ProcessEnv, home: string): string[] {
  const named = Object.entries(env)
    .filter(([k, v]) => v && v.startsWith('/') && /AUTH|CRED|TOKEN|SECRET|PASS|KEY|CONFIG|CERT|NETRC|XDG_/i.test(k))
    // public trust anchors and search paths that builds need
    .filter(([k]) => !/SSL_CERT|CA_CERT|CA_BUNDLE|_DIRS$/i.test(k))
    .map(([, v]) => v!)
  return [...new Set([
    ...named, join(home, '.docker'), join(home, '.cache'), join(home, '.config'), join(home, '.local'), home,
  ])]
}

const SIGNALS = {
  SIGINT: { exit: ExitCodes.INTERRUPTED, code: 'ERR_ABORTED', text: 'interrupted (SIGINT)' },
  SIGTERM: { exit: ExitCodes.TERMINATED, code: 'ERR_TERMINATED', text: 'terminated (SIGTERM)' },
} as const

// How long a command gets to stop its children and remove its temp files after a signal.
const CLEANUP_GRACE_MS = 10_000

/**
 * Entry point for bin/lading: the only place that touches process.argv, process.env and
 * process.exit. SIGINT/SIGTERM abort the command's signal (buildpack process groups are killed,
 * temp dirs removed on the way out, no tag is written after it) and lading exits 130/143; a
 * second signal, or a command still running after the grace period, exits at once.
 */
export async function run(): Promise<void> {
  const controller = new AbortController()
  // Every request, upload and buildpack in flight listens on this one signal (a fleet of 8 images
  // has dozens at once); Node's leak warning at 11 would be noise on the user's stderr.
  setMaxListeners(0, controller.signal)
  let caught: (typeof SIGNALS)[keyof typeof SIGNALS] | undefined
  const onSignal = (sig: keyof typeof SIGNALS): void => {
    const s = SIGNALS[sig]
    if (caught) process.exit(caught.exit)
    caught = s
    controller.abort(new LadingError(s.code, s.text))
    setTimeout(() => process.exit(s.exit), CLEANUP_GRACE_MS).unref()
  }
  process.on('SIGINT', () => onSignal('SIGINT'))
  process.on('SIGTERM', () => onSignal('SIGTERM'))
  const stdout = new FdWriter(1, () => process.stdout)
  const stderr = new FdWriter(2, () => process.stderr)
  const code = await main(process.argv.slice(2), { stdout, stderr }, {
    signal: controller.signal, secretPaths: secretPaths(process.env, homedir()), debug: process.env.LADING_DEBUG === '1', exitsAfter: true,
  })
  const final = caught ? caught.exit : code
  // Writes are synchronous; only what went to Node's streams after an EAGAIN may still be queued.
  stdout.flush(() => stderr.flush(() => process.exit(final)))
}
