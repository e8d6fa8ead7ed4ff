import TOML from '@iarna/toml'
import { BuildpackFileError } from './errors.js'

/** A parsed TOML table. */
export type Table = Record<string, unknown>

/** Error factory used by the field readers, so each file type reports its own code. */
export type FileErrorFactory = (key: string | undefined, message: string, cause?: unknown) => BuildpackFileError

/** Returns a factory producing BuildpackFileError with `code` for the file at `path`. */
export function errorsFor(code: string, path: string): FileErrorFactory {
  return (key, message, cause) => new BuildpackFileError(code, path, key, message, cause === undefined ? undefined : { cause })
}

/** Parses TOML text into a table; a syntax error becomes `fail(undefined, 'invalid TOML at line N…')`. */
export function parseTomlTable(text: string, fail: FileErrorFactory): Table {
  try {
    return TOML.parse(text) as Table
  } catch (err) {
    const e = err as { line?: number; col?: number; message?: string }
    const at = typeof e.line === 'number' ? ` at line ${e.line + 1}, column ${(e.col ?? 0) + 1}` : ''
    const first = String(e.message ?? err).split('\n')[0]
    throw fail(undefined, `invalid TOML${at}: ${first}`, err)
  }
}

/** Returns true for a plain (non-array, non-date) table value. */
export function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date)
}

/** Reads an optional string; throws naming `key` for any other type. */
export function optString(t: Table, key: string, fail: FileErrorFactory, label = key): string | undefined {
  const v = t[key]
  if (v === undefined) return undefined
  if (typeof v !== 'string') throw fail(label, 'must be a string')
  return v
}

/** Reads an optional boolean (absent → `dflt`). */
export function optBool(t: Table, key: string, fail: FileErrorFactory, label = key, dflt = false): boolean {
  const v = t[key]
  if (v === undefined) return dflt
  if (typeof v !== 'boolean') throw fail(label, 'must be a boolean')
  return v
}

/** Reads an optional array of strings (absent → []). */
export function optStringArray(t: Table, key: string, fail: FileErrorFactory, label = key): string[] {
  const v = t[key]
  if (v === undefined) return []
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw fail(label, 'must be an array of strings')
  return v as string[]
}

/** Reads an optional table (absent → undefined). */
export function optTable(t: Table, key: string, fail: FileErrorFactory, label = key): Table | undefined {
  const v = t[key]
  if (v === undefined) return undefined
  if (!isTable(v)) throw fail(label, 'must be a table')
  return v
}

/** Reads an optional array of tables (absent → []). */
export function optTableArray(t: Table, key: string, fail: FileErrorFactory, label = key): Table[] {
  const v = t[key]
  if (v === undefined) return []
  if (!Array.isArray(v) || !v.every(isTable)) throw fail(label, 'must be an array of tables')
  return v as Table[]
}

/** One TOML writer for every file we write: the platform's (no `_` in integers, as the lifecycle writes them). */
export { stringifyToml } from '../platform/index.js'

