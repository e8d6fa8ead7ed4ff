/** The buildpack files' face of the platform's TOML readers: same parsing and type checks, but errors
 * are BuildpackFileError with each file's code, keyed by the caller's label and worded as they
 * always were ("must be an array of strings", without the offending element).
 */
import { BuildpackFileError } from './errors.js'
import { isTable, parseToml, readField, type FieldKind, type FieldValue, type Table } from '../toml/index.js'

export { isTable, type Table }

/** One TOML writer for every file we write: the platform's (no `_` in integers, as the lifecycle writes them). */
export { stringifyToml } from '../toml/index.js'

/** Error factory used by the field readers, so each file type reports its own code. */
export type FileErrorFactory = (key: string | undefined, message: string, cause?: unknown) => BuildpackFileError

/** Returns a factory producing BuildpackFileError with `code` for the file at `path`. */
export function errorsFor(code: string, path: string): FileErrorFactory {
  return (key, message, cause) => new BuildpackFileError(code, path, key, message, cause === undefined ? undefined : { cause })
}

/** Parses TOML text into a table; a syntax error becomes `fail(undefined, 'invalid TOML at line N…')`. */
export function parseTomlTable(text: string, fail: FileErrorFactory): Table {
  return parseToml(text, (detail, cause) => fail(undefined, detail, cause))
}

function field<K extends FieldKind>(t: Table, key: string, kind: K, fail: FileErrorFactory, label: string): FieldValue<K> | undefined {
  return readField(t, key, kind, (m) => fail(label, `must be ${m.expected}`))
}

/** Reads an optional string; throws naming `key` for any other type. */
export function optString(t: Table, key: string, fail: FileErrorFactory, label = key): string | undefined {
  return field(t, key, 'string', fail, label)
}

/** Reads an optional boolean (absent → `dflt`). */
export function optBool(t: Table, key: string, fail: FileErrorFactory, label = key, dflt = false): boolean {
  return field(t, key, 'boolean', fail, label) ?? dflt
}

/** Reads an optional array of strings (absent → []). */
export function optStringArray(t: Table, key: string, fail: FileErrorFactory, label = key): string[] {
  return field(t, key, 'string[]', fail, label) ?? []
}

/** Reads an optional table (absent → undefined). */
export function optTable(t: Table, key: string, fail: FileErrorFactory, label = key): Table | undefined {
  return field(t, key, 'table', fail, label)
}

/** Reads an optional array of tables (absent → []). */
export function optTableArray(t: Table, key: string, fail: FileErrorFactory, label = key): Table[] {
  return field(t, key, 'table[]', fail, label) ?? []
}
