/** Shared TOML plumbing for the platform files: parse with file-named errors, read from disk,
 * stringify deterministically, and typed field readers whose errors name the file and key path.
 * The parse and type checks (`parseToml`, `readField`) take the error to throw as a parameter, so
 * lib/buildpack reads its own files with the same code under its own error codes.
 */
import { readFile } from 'node:fs/promises'
import TOML from '@iarna/toml'
import { TomlFileError } from './errors.js'

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

/**
 * Parses TOML text into a plain object. A syntax error becomes `fail(detail, cause)`, the detail
 * naming line and column on one line, so each file type can wrap it in its own error class.
 */
export function parseToml(text: string, fail: (detail: string, cause: unknown) => Error): Table {
  try {
    return TOML.parse(text) as Table
  } catch (err) {
    const e = err as { line?: number; col?: number; message?: string }
    const where = typeof e.line === 'number' ? ` at line ${e.line + 1}, column ${(e.col ?? 0) + 1}` : ''
    const first = String(e.message ?? err).split('\n')[0]
    throw fail(`invalid TOML${where}: ${first}`, err)
  }
}

/** Parses TOML text into a plain object; syntax errors become TomlFileError naming `file` and the line. */
export function parseTomlText(text: string, file: string): Table {
  return parseToml(text, (detail, cause) => new TomlFileError(file, '', detail, { cause }))
}

/**
 * Reads and parses the TOML file at `path`. With `optional`, a missing file returns undefined;
 * otherwise a missing or unreadable file throws TomlFileError naming the path.
 */
export async function readTomlFile(path: string, optional: true): Promise<Table | undefined>
export async function readTomlFile(path: string, optional?: false): Promise<Table>
export async function readTomlFile(path: string, optional = false): Promise<Table | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if (optional && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new TomlFileError(path, '', `cannot read: ${(err as Error).message}`, { cause: err })
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

/** Returns true for a plain (non-array, non-date) table value. */
export function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date)
}

interface Scalars {
  string: string
  boolean: boolean
  integer: number
  table: Table
}
type ScalarKind = keyof Scalars

/** What a field reader can check for: one value, or an array whose every element is one. */
export type FieldKind = ScalarKind | `${ScalarKind}[]`
/** The value a field reader returns for `K`. */
export type FieldValue<K extends FieldKind> = K extends `${infer S extends ScalarKind}[]` ? Array<Scalars[S]> : K extends ScalarKind ? Scalars[K] : never

const SCALARS: { [K in ScalarKind]: { is: (v: unknown) => boolean; one: string; many: string } } = {
  string: { is: (v) => typeof v === 'string', one: 'a string', many: 'strings' },
  boolean: { is: (v) => typeof v === 'boolean', one: 'a boolean', many: 'booleans' },
  integer: { is: (v) => typeof v === 'number' && Number.isInteger(v), one: 'an integer', many: 'integers' },
  table: { is: isTable, one: 'a table', many: 'tables' },
}

/**
 * A value of the wrong type, before any file type words it: the platform files name the element
 * and what was found, buildpack files keep their older whole-field wording.
 */
export interface FieldMismatch {
  /** What the field must hold, as message words: "a string", "an array of tables". */
  expected: string
  /** The wrong value: the field's own, or the first wrong element's. */
  got: unknown
  /** Set when the field is an array and only element `index` is wrong. */
  element?: { index: number; expected: string }
}

/**
 * Returns `t[key]` checked against `kind` (arrays copied), or undefined when absent; a present
 * value of another type throws `wrongType(mismatch)`.
 */
export function readField<K extends FieldKind>(
  t: Table, key: string, kind: K, wrongType: (m: FieldMismatch) => Error,
): FieldValue<K> | undefined {
  const v = t[key]
  if (v === undefined) return undefined
  if (!kind.endsWith('[]')) {
    const s = SCALARS[kind as ScalarKind]
    if (!s.is(v)) throw wrongType({ expected: s.one, got: v })
    return v as FieldValue<K>
  }
  const s = SCALARS[kind.slice(0, -2) as ScalarKind]
  const expected = `an array of ${s.many}`
  if (!Array.isArray(v)) throw wrongType({ expected, got: v })
  const index = v.findIndex((x) => !s.is(x))
  if (index >= 0) throw wrongType({ expected, got: v[index], element: { index, expected: s.one } })
  return [...v] as FieldValue<K>
}

function describe(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (v instanceof Date) return 'a date'
  if (isTable(v)) return 'a table'
  return `a ${typeof v}`
}

/** Words a mismatch at `ctx` (the field's own context) as TomlFileError naming the exact element. */
function wrongTypeAt(ctx: FieldContext): (m: FieldMismatch) => Error {
  return (m) => {
    const path = m.element ? at(ctx, m.element.index).path : ctx.path
    return new TomlFileError(ctx.file, path, `must be ${m.element?.expected ?? m.expected}, got ${describe(m.got)}`)
  }
}

function field<K extends FieldKind>(t: Table, key: string, kind: K, ctx: FieldContext): FieldValue<K> | undefined {
  return readField(t, key, kind, wrongTypeAt(at(ctx, key)))
}

/** Returns `v` as a table, or throws naming `ctx` when it is not one. */
export function asTable(v: unknown, ctx: FieldContext): Table {
  if (!isTable(v)) throw wrongTypeAt(ctx)({ expected: 'a table', got: v })
  return v
}

/** Returns the string at `t[key]`; throws when missing, or not a string, or empty with `nonEmpty`. */
export function reqString(t: Table, key: string, ctx: FieldContext, nonEmpty = true): string {
  const v = field(t, key, 'string', ctx)
  if (v === undefined) throw new TomlFileError(ctx.file, at(ctx, key).path, 'is required')
  if (nonEmpty && v === '') throw new TomlFileError(ctx.file, at(ctx, key).path, 'must not be empty')
  return v
}

/** Returns the string at `t[key]`, or undefined when absent; throws when present but not a string. */
export function optString(t: Table, key: string, ctx: FieldContext): string | undefined {
  return field(t, key, 'string', ctx)
}

/** Returns the boolean at `t[key]`, or undefined when absent; throws when present but not a boolean. */
export function optBool(t: Table, key: string, ctx: FieldContext): boolean | undefined {
  return field(t, key, 'boolean', ctx)
}

/** Returns the integer at `t[key]`, or undefined when absent; throws when present but not an integer. */
export function optInt(t: Table, key: string, ctx: FieldContext): number | undefined {
  return field(t, key, 'integer', ctx)
}

/** Returns the string array at `t[key]` (copied), or undefined when absent; throws on any non-string. */
export function optStringArray(t: Table, key: string, ctx: FieldContext): string[] | undefined {
  return field(t, key, 'string[]', ctx)
}

/** Returns the table at `t[key]`, or undefined when absent; throws when present but not a table. */
export function optTable(t: Table, key: string, ctx: FieldContext): Table | undefined {
  return field(t, key, 'table', ctx)
}

/**
 * Returns the array of tables at `t[key]` ([] when absent), each paired with its context;
 * throws when it is not an array of tables.
 */
export function tableArray(t: Table, key: string, ctx: FieldContext): Array<{ table: Table; ctx: FieldContext }> {
  const c = at(ctx, key)
  return (readField(t, key, 'table[]', wrongTypeAt(c)) ?? []).map((table, i) => ({ table, ctx: at(c, i) }))
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
