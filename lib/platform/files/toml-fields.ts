/**
 * Shared TOML plumbing for the platform files: parse with file-named errors, read from disk,
 * stringify deterministically, and typed field readers whose errors name the file and key path.
 */
import { readFile } from 'node:fs/promises'
import TOML from '@iarna/toml'
import { PlatformFileError } from '../errors.js'

/** A TOML table as parsed; values are unknown until a field reader checks them. */
export type Table = Record<string, unknown>

/** Where a value sits: the file name and the dotted key path of its table (empty at the root). */
export interface FieldContext {
  file: string
  path: string
}

/** Returns the child context for `key` under `ctx`. */
export function at(ctx: FieldContext, key: string | number): FieldContext {
  if (typeof key === 'number') return { file: ctx.file, path: `${ctx.path}[${key}]` }
  return { file: ctx.file, path: ctx.path ? `${ctx.path}.${key}` : key }
}

/** Parses TOML text into a plain object; syntax errors become PlatformFileError naming `file` and the line. */
export function parseTomlText(text: string, file: string): Table {
  try {
    return TOML.parse(text) as Table
  } catch (err) {
    const e = err as { line?: number; col?: number; message?: string }
    const where = typeof e.line === 'number' ? ` at line ${e.line + 1}, column ${(e.col ?? 0) + 1}` : ''
    const first = String(e.message ?? err).split('\n')[0]
    throw new PlatformFileError(file, '', `invalid TOML${where}: ${first}`, { cause: err })
  }
}

/**
 * Reads and parses the TOML file at `path`. With `optional`, a missing file returns undefined;
 * otherwise a missing or unreadable file throws PlatformFileError naming the path.
 */
export async function readTomlFile(path: string, optional: true): Promise<Table | undefined>
export async function readTomlFile(path: string, optional?: false): Promise<Table>
export async function readTomlFile(path: string, optional = false): Promise<Table | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if (optional && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new PlatformFileError(path, '', `cannot read: ${(err as Error).message}`, { cause: err })
  }
  return parseTomlText(text, path)
}

// @iarna/toml writes integers >= 1000 with `_` separators (valid TOML, but surprising for
// `manifest-size` readers and diffs); strip them on bare `key = 1_234` lines, never inside a
// multi-line string.
const UNDERSCORE_INT = /^(\s*[A-Za-z0-9_"'.-]+ = )(-?\d{1,3}(?:_\d{3})+)$/

/**
 * Returns TOML text for `doc`: keys in insertion order, simple values before tables (TOML
 * requires it), integers without `_` separators. Same input object shape → same bytes.
 * `undefined` values are dropped; callers must not pass `null`.
 */
export function stringifyToml(doc: Table): string {
  const lines = TOML.stringify(doc as TOML.JsonMap).split('\n')
  let inMultiline = false
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (!inMultiline) {
      const m = UNDERSCORE_INT.exec(line)
      if (m) lines[i] = m[1]! + m[2]!.replace(/_/g, '')
    }
    // An odd number of """ or ''' delimiters on a line opens or closes a multi-line string.
    const delims = (line.match(/"""|'''/g) ?? []).length
    if (delims % 2 === 1) inMultiline = !inMultiline
  }
  return lines.join('\n')
}

function describe(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (v instanceof Date) return 'a date'
  return `a ${typeof v}`
}

/** Returns `t` as a table, or throws naming `ctx` when it is not one. */
export function asTable(v: unknown, ctx: FieldContext): Table {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Date) {
    throw new PlatformFileError(ctx.file, ctx.path, `must be a table, got ${describe(v)}`)
  }
  return v as Table
}

/** Returns the string at `t[key]`; throws when missing, or not a string, or empty with `nonEmpty`. */
export function reqString(t: Table, key: string, ctx: FieldContext, nonEmpty = true): string {
  const v = t[key]
  if (v === undefined) throw new PlatformFileError(ctx.file, at(ctx, key).path, 'is required')
  if (typeof v !== 'string') throw new PlatformFileError(ctx.file, at(ctx, key).path, `must be a string, got ${describe(v)}`)
  if (nonEmpty && v === '') throw new PlatformFileError(ctx.file, at(ctx, key).path, 'must not be empty')
  return v
}

/** Returns the string at `t[key]`, or undefined when absent; throws when present but not a string. */
export function optString(t: Table, key: string, ctx: FieldContext): string | undefined {
  const v = t[key]
  if (v === undefined) return undefined
  if (typeof v !== 'string') throw new PlatformFileError(ctx.file, at(ctx, key).path, `must be a string, got ${describe(v)}`)
  return v
}

/** Returns the boolean at `t[key]`, or undefined when absent; throws when present but not a boolean. */
export function optBool(t: Table, key: string, ctx: FieldContext): boolean | undefined {
  const v = t[key]
  if (v === undefined) return undefined
  if (typeof v !== 'boolean') throw new PlatformFileError(ctx.file, at(ctx, key).path, `must be a boolean, got ${describe(v)}`)
  return v
}

/** Returns the integer at `t[key]`, or undefined when absent; throws when present but not an integer. */
export function optInt(t: Table, key: string, ctx: FieldContext): number | undefined {
  const v = t[key]
  if (v === undefined) return undefined
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new PlatformFileError(ctx.file, at(ctx, key).path, `must be an integer, got ${describe(v)}`)
  }
  return v
}

/** Returns the string array at `t[key]` (copied), or undefined when absent; throws on any non-string. */
export function optStringArray(t: Table, key: string, ctx: FieldContext): string[] | undefined {
  const v = t[key]
  if (v === undefined) return undefined
  const c = at(ctx, key)
  if (!Array.isArray(v)) throw new PlatformFileError(ctx.file, c.path, `must be an array of strings, got ${describe(v)}`)
  return v.map((s, i) => {
    if (typeof s !== 'string') throw new PlatformFileError(ctx.file, at(c, i).path, `must be a string, got ${describe(s)}`)
    return s
  })
}

/** Returns the table at `t[key]`, or undefined when absent; throws when present but not a table. */
export function optTable(t: Table, key: string, ctx: FieldContext): Table | undefined {
  const v = t[key]
  if (v === undefined) return undefined
  return asTable(v, at(ctx, key))
}

/**
 * Returns the array of tables at `t[key]` ([] when absent), each paired with its context;
 * throws when it is not an array of tables.
 */
export function tableArray(t: Table, key: string, ctx: FieldContext): Array<{ table: Table; ctx: FieldContext }> {
  const v = t[key]
  if (v === undefined) return []
  const c = at(ctx, key)
  if (!Array.isArray(v)) throw new PlatformFileError(ctx.file, c.path, `must be an array of tables, got ${describe(v)}`)
  return v.map((item, i) => ({ table: asTable(item, at(c, i)), ctx: at(c, i) }))
}

/** Returns a deep plain copy of a parsed TOML value (dates become ISO strings), for opaque metadata. */
export function plainCopy(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString()
  if (Array.isArray(v)) return v.map(plainCopy)
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) out[k] = plainCopy(x)
    return out
  }
  return v
}

/** Returns `obj` without its undefined-valued keys (stringify drops them anyway; this keeps tests exact). */
export function compact<T extends object>(obj: T): T {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) out[k] = v
  return out as T
}
