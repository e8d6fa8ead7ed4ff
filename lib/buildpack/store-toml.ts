// Reads and writes store.toml, the metadata a buildpack keeps from one build to the next.
import { errorsFor, optTable, parseTomlTable, stringifyToml, type Table } from './toml-fields.js'

/** A parsed store.toml: metadata persisted across builds. */
export interface StoreToml {
  metadata: Table
}

/** Parses store.toml; throws BuildpackFileError (ERR_BUILDPACK_STORE_TOML) naming `path` when malformed. */
export function parseStoreToml(text: string, path: string): StoreToml {
  const fail = errorsFor('ERR_BUILDPACK_STORE_TOML', path)
  const root = parseTomlTable(text, fail)
  return { metadata: optTable(root, 'metadata', fail) ?? {} }
}

/** Returns store.toml text for restoring `metadata` before the next build. */
export function formatStoreToml(metadata: Table): string {
  return stringifyToml({ metadata })
}
