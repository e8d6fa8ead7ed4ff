// Command-line parsing: global flags, per-command flags and positionals, and the usage error (exit code 3).
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { LadingError } from '../errors.js'

/** Bad command-line usage; exit code 3. */
export class UsageError extends LadingError {
  constructor(message: string, readonly command?: string) {
    super('ERR_USAGE', message)
  }
}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>

/** Flags every command accepts, before or after the command name. */
export const GLOBAL_OPTIONS: OptionSpec = {
  'insecure-registry': { type: 'string', multiple: true },
  'ca-cert': { type: 'string', multiple: true },
  quiet: { type: 'boolean', short: 'q' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
}

/** The global part of a parsed command line. */
export interface GlobalFlags {
  insecureRegistries: string[]
  caCerts: string[]
  quiet: boolean
  json: boolean
  help: boolean
  version: boolean
  verbose: boolean
}

/** Result of parsing argv for one command. */
export interface ParsedArgs {
  global: GlobalFlags
  values: Record<string, string | boolean | string[] | boolean[] | undefined>
  positionals: string[]
}

/**
 * The command name: the first positional that names a known command (a command's own flag
 * given before the name may leave its value as an earlier positional), else the first one.
 */
export function findCommand(argv: readonly string[], known: ReadonlySet<string>): string | undefined {
  const { tokens } = parseArgs({ args: [...argv], options: GLOBAL_OPTIONS, strict: false, allowPositionals: true, tokens: true })
  const positionals = (tokens ?? []).filter((t) => t.kind === 'positional').map((t) => (t as { value: string }).value)
  return positionals.find((p) => known.has(p)) ?? positionals[0]
}

/**
 * Parses argv with the global flags plus the command's own. Unknown flags and wrong arity
 * are UsageErrors that name the flag, so a typo never silently does something else.
 */
export function parseCommandArgs(argv: readonly string[], command: string, options: OptionSpec): ParsedArgs {
  const all = { ...GLOBAL_OPTIONS, ...options }
  if (options.network !== undefined) argv = packNetwork(argv, command)
  let parsed
  try {
    parsed = parseArgs({ args: [...argv], options: all, strict: true, allowPositionals: true })
  } catch (err) {
    throw new UsageError(`${(err as Error).message.replace(/\. To specify a positional.*$/s, '')}`, command)
  }
  const positionals = [...parsed.positionals]
  const idx = positionals.indexOf(command)
  if (idx >= 0) positionals.splice(idx, 1)
  const v = parsed.values as ParsedArgs['values']
  return {
    global: {
      insecureRegistries: (v['insecure-registry'] as string[] | undefined) ?? [],
      caCerts: (v['ca-cert'] as string[] | undefined) ?? [],
      quiet: Boolean(v.quiet),
      json: Boolean(v.json),
      help: Boolean(v.help),
      version: Boolean(v.version),
      verbose: Boolean(v.verbose),
    },
    values: v,
    positionals,
  }
}

/** pack's `--network` values that mean the host's network, which is what the sandbox can share. */
const HOST_NETWORKS = new Set(['host', 'default', 'bridge', 'slirp4netns', 'pasta'])

/**
 * pack takes `--network VALUE` and builds with a network unless told `none`; lading's sandbox has
 * the host's network or none. pack's values are accepted so its command lines work: host, default,
 * bridge (or slirp4netns, pasta) and a bare `--network` become `--network=host`, none becomes
 * `--network=none`, and a named network is a usage error.
 */
export function packNetwork(argv: readonly string[], command: string): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '--') { out.push(...argv.slice(i)); break }
    const eq = /^--network=(.*)$/.exec(a)
    // A separate word is taken only when it is one of pack's values: anything else is a positional.
    const next = argv[i + 1]
    const separate = a === '--network' && next !== undefined && (HOST_NETWORKS.has(next) || next === 'none')
    const value = eq ? eq[1]! : separate ? argv[++i]! : a === '--network' ? 'host' : undefined
    if (value === undefined) { out.push(a); continue }
    if (value !== 'none' && !HOST_NETWORKS.has(value)) {
      throw new UsageError(`--network=${value}: lading has no container networks; buildpacks get this machine's network (pack's host, default, bridge, the default) or none (--network none)`, command)
    }
    out.push(`--network=${value === 'none' ? 'none' : 'host'}`)
  }
  return out
}

/** Whether buildpacks get the network: yes unless `--network none`, as with pack. */
export function networkOn(values: ParsedArgs['values']): boolean {
  return values.network !== 'none'
}

/** Checks the number of positionals, naming what is missing or extra. */
export function expectPositionals(args: ParsedArgs, command: string, names: readonly string[], variadic = false): string[] {
  const got = args.positionals
  if (got.length < names.length) {
    throw new UsageError(`missing ${names.slice(got.length).join(' ')}: usage: lading ${command} ${names.join(' ')}`, command)
  }
  if (!variadic && got.length > names.length) {
    throw new UsageError(`unexpected argument ${JSON.stringify(got[names.length])}: usage: lading ${command} ${names.join(' ')}`, command)
  }
  return got
}
