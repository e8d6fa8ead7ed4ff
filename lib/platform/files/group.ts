/** `group.toml` (cnb-spec.md §2.4): the buildpacks that passed detection, in order, with their
 * API and homepage. Written by detect, read by restore/build/export.
 */
import {
  type Table, compact, optBool, optString, parseTomlText, readTomlFile, reqString, stringifyToml, tableArray,
} from '../../toml/index.js'

/** One resolved group element. `optional` is never written (the detector strips it). */
export interface GroupEntry {
  id: string
  version: string
  api: string
  homepage?: string
  /** True for image extensions (only in `[[group-extensions]]`). */
  extension?: boolean
}

/** A parsed group.toml. */
export interface GroupFile {
  group: GroupEntry[]
  groupExtensions: GroupEntry[]
}

function entries(doc: Table, key: string, file: string): GroupEntry[] {
  return tableArray(doc, key, { file, path: '' }).map(({ table, ctx }) => compact<GroupEntry>({
    id: reqString(table, 'id', ctx),
    version: reqString(table, 'version', ctx, false),
    api: reqString(table, 'api', ctx),
    homepage: optString(table, 'homepage', ctx),
    extension: optBool(table, 'extension', ctx),
  }))
}

function groupFileFromDoc(doc: Table, file: string): GroupFile {
  return { group: entries(doc, 'group', file), groupExtensions: entries(doc, 'group-extensions', file) }
}

/** Parses group.toml text; throws PlatformFileError naming `file` and the key on a bad entry. */
export function parseGroup(text: string, file = 'group.toml'): GroupFile {
  return groupFileFromDoc(parseTomlText(text, file), file)
}

/** Reads and parses the group.toml at `path`; throws PlatformFileError when missing or invalid. */
export async function readGroupFile(path: string): Promise<GroupFile> {
  return groupFileFromDoc(await readTomlFile(path), path)
}

function entryTable(e: GroupEntry): Table {
  return compact({
    id: e.id, version: e.version, api: e.api,
    homepage: e.homepage || undefined,
    extension: e.extension ? true : undefined,
  })
}

/**
 * Returns group.toml text: `[[group]]` entries with id, version, api and homepage (when set),
 * then `[[group-extensions]]` when any. Byte-stable for the same input.
 */
export function stringifyGroup(group: readonly GroupEntry[], groupExtensions: readonly GroupEntry[] = []): string {
  const doc: Table = { group: group.map(entryTable) }
  if (groupExtensions.length > 0) doc['group-extensions'] = groupExtensions.map(entryTable)
  return stringifyToml(doc)
}
