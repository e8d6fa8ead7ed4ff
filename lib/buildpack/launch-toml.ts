// Parses launch.toml (processes, labels, slices) and merges the processes and labels of a whole build.
import { apiAtLeast } from '../api-version.js'
import {
  errorsFor, optBool, optString, optStringArray, optTableArray, parseTomlTable, type FileErrorFactory, type Table,
} from './toml-fields.js'

/** A process type a buildpack declared, normalised to the API ≥ 0.9 shape. */
export interface ProcessDef {
  type: string
  /** Element 0 is the executable (path or name on PATH); the rest are fixed arguments. */
  command: string[]
  /** Default arguments (user arguments replace them for API ≥ 0.9, are appended before that). */
  args: string[]
  /** true: exec directly; false (API < 0.9 only): run `command args…` through a shell. */
  direct: boolean
  default: boolean
  workingDir?: string
  execEnv?: string[]
  buildpackId: string
  /** The declaring buildpack's API, which decides how user arguments combine with `args`. */
  buildpackApi: string
}

/** An image label a buildpack asked for. */
export interface LabelDef {
  key: string
  value: string
}

/** A `[[slices]]` entry: globs relative to the app dir, exported as their own layer. */
export interface SliceDef {
  paths: string[]
}

/** A parsed launch.toml. */
export interface LaunchToml {
  processes: ProcessDef[]
  labels: LabelDef[]
  slices: SliceDef[]
}

const TYPE_RE = /^[A-Za-z0-9._-]+$/

/** Returns true for a valid process type (`[A-Za-z0-9._-]+`). */
export function isValidProcessType(type: string): boolean {
  return TYPE_RE.test(type)
}

function parseProcess(p: Table, i: number, fail: FileErrorFactory, bp: { id: string; api: string }): ProcessDef {
  const k = (s: string): string => `processes[${i}].${s}`
  const type = optString(p, 'type', fail, k('type'))
  if (!type) throw fail(k('type'), 'is required')
  if (!isValidProcessType(type)) throw fail(k('type'), `${JSON.stringify(type)} has characters outside [A-Za-z0-9._-]`)
  const modern = apiAtLeast(bp.api, '0.9')
  let command: string[]
  let direct: boolean
  if (modern) {
    if (p['direct'] !== undefined) throw fail(k('direct'), `is not allowed for Buildpack API ${bp.api} (every process is direct)`)
    command = optStringArray(p, 'command', fail, k('command'))
    if (command.length === 0 || command[0] === '') throw fail(k('command'), 'must be a non-empty array of strings')
    direct = true
  } else {
    const c = optString(p, 'command', fail, k('command'))
    if (!c) throw fail(k('command'), `must be a non-empty string for Buildpack API ${bp.api}`)
    command = [c]
    direct = optBool(p, 'direct', fail, k('direct'))
  }
  const proc: ProcessDef = {
    type,
    command,
    args: optStringArray(p, 'args', fail, k('args')),
    direct,
    default: optBool(p, 'default', fail, k('default')),
    buildpackId: bp.id,
    buildpackApi: bp.api,
  }
  const wd = optString(p, 'working-dir', fail, k('working-dir'))
  // The lifecycle ignores working-dir before Buildpack API 0.8.
  if (wd && apiAtLeast(bp.api, '0.8')) proc.workingDir = wd
  if (p['exec-env'] !== undefined) proc.execEnv = optStringArray(p, 'exec-env', fail, k('exec-env'))
  return proc
}

/**
 * Parses a buildpack's launch.toml (`path` names it in errors) for a buildpack of `api`.
 * API ≥ 0.9: `command` is an array and `direct` is an error; before: a string plus `direct`
 * (default false). Throws BuildpackFileError (ERR_BUILDPACK_LAUNCH_TOML) for a bad type, a missing
 * command, more than one default process, or a malformed label/slice.
 */
export function parseLaunchToml(text: string, path: string, bp: { id: string; api: string }): LaunchToml {
  const fail = errorsFor('ERR_BUILDPACK_LAUNCH_TOML', path)
  const root = parseTomlTable(text, fail)
  const processes = optTableArray(root, 'processes', fail).map((p, i) => parseProcess(p, i, fail, bp))
  const defaults = processes.filter((p) => p.default)
  if (defaults.length > 1) {
    throw fail('processes.default', `only one process may be default, got ${defaults.map((p) => p.type).join(', ')}`)
  }
  const labels = optTableArray(root, 'labels', fail).map((l, i) => {
    const key = optString(l, 'key', fail, `labels[${i}].key`)
    if (!key) throw fail(`labels[${i}].key`, 'is required')
    return { key, value: optString(l, 'value', fail, `labels[${i}].value`) ?? '' }
  })
  const slices = optTableArray(root, 'slices', fail).map((s, i) => ({ paths: optStringArray(s, 'paths', fail, `slices[${i}].paths`) }))
  return { processes, labels, slices }
}

/** The merged process list of a whole build. */
export interface MergedProcesses {
  /** One process per type, sorted by type. */
  processes: ProcessDef[]
  /** The buildpack-chosen default type, if any. */
  defaultType: string | undefined
  warnings: string[]
}

/**
 * Merges the processes of each buildpack in group order (cnb-spec.md §3.3): keyed by type, a later
 * buildpack replaces an earlier one; the default is the last `default = true`, and it is cleared
 * (with a warning) when a later buildpack redefines that type without `default`.
 */
export function mergeProcesses(perBuildpack: readonly (readonly ProcessDef[])[]): MergedProcesses {
  const byType = new Map<string, ProcessDef>()
  let defaultType: string | undefined
  const warnings: string[] = []
  for (const list of perBuildpack) {
    for (const p of list) {
      if (p.default) {
        defaultType = p.type
      } else if (p.type === defaultType) {
        warnings.push(`redefining the default process type ${p.type} with a process not marked as default; no default remains`)
        defaultType = undefined
      }
      byType.set(p.type, p)
    }
  }
  const processes = [...byType.values()].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0))
  return { processes, defaultType, warnings }
}

/** Merges labels of each buildpack in group order; the last writer of a key wins, first-seen order kept. */
export function mergeLabels(perBuildpack: readonly (readonly LabelDef[])[]): LabelDef[] {
  const m = new Map<string, string>()
  for (const list of perBuildpack) for (const l of list) m.set(l.key, l.value)
  return [...m].map(([key, value]) => ({ key, value }))
}
