/** Per-app launch data for the generic sh launcher (launcher-script.ts), and the `--launcher none`
 * alternative that bakes one process into the image config (cnb-spec.md §3.4, §3.5, §4.3, §7).
 *
 * The launch configuration is a sh file sourced by the launcher, written to
 * `<layers>/config/launch.sh` next to metadata.toml (so it travels in the config layer). Every
 * value in it is single-quoted, so arbitrary text (spaces, quotes, `$`, newlines) survives as is.
 * It lists each buildpack's launch layer dirs, not their env files: the launcher reads env files
 * and profile.d from those dirs when it starts (launcher-env-script.ts), because a layer reused
 * from the previous image has no files on disk at export time.
 */
import { LadingError } from '../errors.js'
export { LAUNCHER_PATH, PROCESS_DIR, launcherScript } from './script.js'

/** The launch configuration's file name inside `<layers>/config/`. */
export const LAUNCH_CONFIG_FILE = 'launch.sh'

/** One process the launcher can start (from metadata.toml `[[processes]]`). */
export interface LaunchProcess {
  type: string
  /** command[0] is a path or a name looked up on the launch PATH; more entries are fixed args. */
  command: string[]
  /** Default args; user args replace them (or follow them when `appendArgs`). */
  args: string[]
  /** Absolute; defaults to the app dir. */
  workingDir?: string
  /** false: a legacy shell process (Buildpack API < 0.9), every token shell-expanded. */
  direct: boolean
  /** Set for processes from Buildpack API < 0.9, where user args are appended to `args`. */
  appendArgs?: boolean
}

/** One env file operation (cnb-spec.md §3.4), in application order. */
export interface EnvOp {
  op: 'override' | 'default' | 'prepend' | 'append'
  name: string
  value: string
  /** Used by prepend/append; the spec's default is the empty string. */
  delim: string
  /** Only for this process type (env.launch/<process>/). */
  process?: string
}

/** A profile.d script; `process` limits it to one process type (profile.d/<process>/). */
export interface ProfileScript {
  path: string
  process?: string
}

/** One buildpack's launch layers, as the launcher finds them in the image. */
export interface LaunchBuildpack {
  id: string
  /** Absolute in-image dirs of its launch layers (e.g. `/layers/acme_node/runtime`), in name order. */
  layers: string[]
}

/** Input of launchConfigScript. */
export interface LaunchConfigInput {
  processes: LaunchProcess[]
  defaultType?: string
  /**
   * In group order. At launch, per buildpack: root dirs of all its layers, then per layer `env/`,
   * `env.launch/`, `env.launch/<type>/`; after all env, each layer's `profile.d/` and
   * `profile.d/<type>/` (cnb-spec.md §3.4, §3.5). Missing dirs are skipped.
   */
  buildpacks: LaunchBuildpack[]
  /** Extra ops (e.g. platform-provided values) applied after the layers' env files. */
  envOps?: EnvOp[]
  /** Extra op lists for some process types, used for that type INSTEAD of `envOps`. */
  envOpsByProcess?: Record<string, EnvOp[]>
  /** The app dir the launcher uses when CNB_APP_DIR is unset; default `/workspace`. */
  appDir?: string
}

/** Thrown for launch data the launcher cannot represent (bad type or variable name, NUL, ...). */
export class LaunchConfigError extends LadingError {
  constructor(message: string) {
    super('ERR_LAUNCH_CONFIG', message)
  }
}

const TYPE_RE = /^[A-Za-z0-9._-]+$/
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/
/** Names bash (/bin/sh on some run images) will not let a script assign; the launcher skips them. */
const SHELL_READONLY = new Set(['BASHOPTS', 'BASH_VERSINFO', 'EUID', 'PPID', 'SHELLOPTS', 'UID'])
const OPS = new Set(['override', 'default', 'prepend', 'append'])

/**
 * True when our sh launcher can set `name`: a POSIX shell name, not `_lading_*` (the launcher's
 * own) and not read-only in bash. The launcher skips env files with other names.
 */
export function isPortableEnvName(name: string): boolean {
  return NAME_RE.test(name) && !name.startsWith('_lading_') && !SHELL_READONLY.has(name)
}

/** Returns `s` as one single-quoted POSIX shell word; throws on NUL (no shell can hold it). */
export function shellQuote(s: string): string {
  if (s.includes('\0')) throw new LaunchConfigError(`value contains a NUL byte: ${JSON.stringify(s.slice(0, 40))}`)
  return `'${s.replace(/'/g, `'\\''`)}'`
}

function checkProcesses(processes: LaunchProcess[], defaultType: string | undefined): void {
  const seen = new Set<string>()
  for (const p of processes) {
    if (!TYPE_RE.test(p.type) || p.type === '.' || p.type === '..') throw new LaunchConfigError(`invalid process type ${JSON.stringify(p.type)}`)
    if (seen.has(p.type)) throw new LaunchConfigError(`process type ${p.type} is defined twice`)
    seen.add(p.type)
    if (p.command.length === 0 || p.command[0] === '') {
      throw new LaunchConfigError(`process type ${p.type} has no command`)
    }
  }
  if (defaultType !== undefined && defaultType !== '' && !seen.has(defaultType)) {
    throw new LaunchConfigError(`default process type ${defaultType} is not among the processes`)
  }
}

function checkOp(o: EnvOp): void {
  if (!OPS.has(o.op)) throw new LaunchConfigError(`unknown env operation ${JSON.stringify(o.op)} for ${o.name}`)
  if (!isPortableEnvName(o.name)) {
    throw new LaunchConfigError(`environment variable name ${JSON.stringify(o.name)} cannot be set by the launcher`)
  }
  if (o.process !== undefined && !TYPE_RE.test(o.process)) {
    throw new LaunchConfigError(`invalid process type ${JSON.stringify(o.process)} for ${o.name}`)
  }
}

const q = shellQuote

function opLines(ops: EnvOp[]): string[] {
  return ops.map((o) => {
    checkOp(o)
    return `      _lading_op ${o.op} ${o.name} ${q(o.value)} ${q(o.delim)} ${q(o.process ?? '')}`
  })
}

function buildpackLines(buildpacks: LaunchBuildpack[]): string[] {
  return buildpacks.map((bp) => {
    for (const l of bp.layers) {
      if (!l.startsWith('/')) throw new LaunchConfigError(`launch layer dir ${JSON.stringify(l)} of ${bp.id} is not absolute`)
    }
    return `  "$1" ${[bp.id, ...bp.layers].map(q).join(' ')}`
  })
}

/**
 * Returns the text of `<layers>/config/launch.sh` for the generic launcher: the process table,
 * the default type, each buildpack's launch layer dirs (whose env files and profile.d the launcher
 * reads at launch) and the extra env ops. Deterministic: the same input gives the same bytes.
 * Throws LaunchConfigError (ERR_LAUNCH_CONFIG) for a process type outside [A-Za-z0-9._-] (or `.`,
 * `..`), a duplicate type, an empty command, an unknown default type, a relative layer dir, an
 * extra op whose name the launcher cannot set (filter with isPortableEnvName) or a NUL anywhere.
 */
export function launchConfigScript(input: LaunchConfigInput): string {
  checkProcesses(input.processes, input.defaultType)
  const lines = [
    '# lading launch configuration: generated at build time, sourced by /cnb/lifecycle/launcher.',
    '_lading_format=2',
    `_lading_default=${q(input.defaultType ?? '')}`,
    `_lading_app_default=${q(input.appDir ?? '/workspace')}`,
    '_lading_process() {',
    '  case $1 in',
  ]
  for (const p of input.processes) {
    lines.push(
      `    ${q(p.type)})`,
      `      _lading_argv=; _lading_add ${p.command.map(q).join(' ')}; _lading_cmd=$_lading_argv`,
      `      _lading_argv=; _lading_add ${p.args.map(q).join(' ')}; _lading_args=$_lading_argv`,
      `      _lading_wd=${q(p.workingDir ?? '')}; _lading_direct=${p.direct ? 1 : 0}; _lading_append=${p.appendArgs ? 1 : 0}`,
      '      ;;',
    )
  }
  lines.push('    *) return 1 ;;', '  esac', '}', '# Calls $1 ID LAYER_DIR... per buildpack, in group order.', '_lading_buildpacks() {', '  :')
  lines.push(...buildpackLines(input.buildpacks), '}', '_lading_env() {', '  case $_lading_type in')
  const byType = Object.entries(input.envOpsByProcess ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  for (const [type, ops] of byType) {
    if (!TYPE_RE.test(type)) throw new LaunchConfigError(`invalid process type ${JSON.stringify(type)} in envOpsByProcess`)
    lines.push(`    ${q(type)})`, '      :', ...opLines(ops), '      ;;')
  }
  lines.push('    *)', '      :', ...opLines(input.envOps ?? []), '      ;;', '  esac', '}', '')
  return lines.join('\n')
}

/** Input of bakedConfig. */
export interface BakedConfigInput {
  processes: LaunchProcess[]
  defaultType?: string
  /** The process to bake; default `defaultType`. */
  processType?: string
  envOps: EnvOp[]
  /** As in LaunchConfigInput: replaces `envOps` for the baked type when present. */
  envOpsByProcess?: Record<string, EnvOp[]>
  profileScripts?: (string | ProfileScript)[]
  appDir: string
  /** The run image's config Env (`NAME=value` entries). */
  baseEnv: string[]
}

/** Image config fields for an image without a launcher, plus what could not be baked. */
export interface BakedConfig {
  Entrypoint: string[]
  Cmd: string[]
  Env: string[]
  WorkingDir: string
  /** Things the launcher would have done that a static config cannot (profile scripts). */
  warnings: string[]
}

const STRIPPED = new Set(['CNB_LAYERS_DIR', 'CNB_APP_DIR', 'CNB_PROCESS_TYPE', 'CNB_PLATFORM_API', 'CNB_DEPRECATION_MODE'])
const LAUNCHER_PATH_DIRS = new Set(['/cnb/process', '/cnb/process/', '/cnb/lifecycle', '/cnb/lifecycle/'])

/** Applies one env op to `env` in place (cnb-spec.md §3.4 semantics, same as the sh launcher). */
export function applyEnvOp(env: Map<string, string>, o: EnvOp): void {
  const cur = env.get(o.name) ?? ''
  switch (o.op) {
    case 'override': env.set(o.name, o.value); break
    case 'default': if (cur === '') env.set(o.name, o.value); break
    case 'prepend': env.set(o.name, cur === '' ? o.value : o.value + o.delim + cur); break
    case 'append': env.set(o.name, cur === '' ? o.value : cur + o.delim + o.value); break
    default: throw new LaunchConfigError(`unknown env operation ${JSON.stringify((o as EnvOp).op)} for ${o.name}`)
  }
}

/**
 * `--launcher none`: returns the config that starts one direct process with its launch env
 * pre-applied, for run images without /bin/sh. Entrypoint = the command (all of it), Cmd = the
 * default args (so `podman run IMAGE args...` replaces them, as Buildpack API >= 0.9 does; for
 * `appendArgs` processes the args move into Entrypoint). Env = baseEnv minus the launcher-stripped
 * CNB_* variables and /cnb dirs on PATH, then the env ops in order (new names appended in op
 * order). Any variable name is allowed here. Throws LaunchConfigError when there is no such
 * process or it is a shell process (it needs a shell).
 */
export function bakedConfig(input: BakedConfigInput): BakedConfig {
  checkProcesses(input.processes, input.defaultType)
  const type = input.processType ?? input.defaultType
  if (type === undefined || type === '') {
    throw new LaunchConfigError('--launcher none needs a default process type (or an explicit one)')
  }
  const proc = input.processes.find((p) => p.type === type)
  if (!proc) throw new LaunchConfigError(`process type ${type} is not among the processes`)
  if (!proc.direct) throw new LaunchConfigError(`process type ${type} is a shell process and needs a launcher with a shell`)
  const env = new Map<string, string>()
  for (const entry of input.baseEnv) {
    const eq = entry.indexOf('=')
    const name = eq < 0 ? entry : entry.slice(0, eq)
    if (!STRIPPED.has(name)) env.set(name, eq < 0 ? '' : entry.slice(eq + 1))
  }
  const path = env.get('PATH')
  if (path !== undefined) env.set('PATH', path.split(':').filter((d) => !LAUNCHER_PATH_DIRS.has(d)).join(':'))
  for (const o of input.envOpsByProcess?.[type] ?? input.envOps) {
    if (o.process === undefined || o.process === type) applyEnvOp(env, o)
  }
  const warnings: string[] = []
  for (const s of input.profileScripts ?? []) {
    const p = typeof s === 'string' ? { path: s } : s
    if (p.process === undefined || p.process === type) warnings.push(`profile script ${p.path} is not sourced without a launcher`)
  }
  const entrypoint = proc.appendArgs ? [...proc.command, ...proc.args] : [...proc.command]
  return {
    Entrypoint: entrypoint,
    Cmd: proc.appendArgs ? [] : [...proc.args],
    Env: [...env].map(([k, v]) => `${k}=${v}`),
    WorkingDir: proc.workingDir ?? input.appDir,
    warnings,
  }
}
