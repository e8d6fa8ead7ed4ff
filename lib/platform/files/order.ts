/** `order.toml` (cnb-spec.md §2.1): the ordered list of buildpack groups the detector tries.
 * `[[order-extensions]]` is parsed only to be reported: lading does not run image extensions.
 */
import { PlatformFileError } from '../errors.js'
import {
  type FieldContext, type Table, compact, optBool, optString, parseTomlText, readTomlFile, reqString,
  stringifyToml, tableArray,
} from '../../toml/index.js'

/** One `[[order.group]]` element: a buildpack by id, optionally pinned to a version. */
export interface GroupElement {
  id: string
  version?: string
  optional?: boolean
}

/** One `[[order]]` entry: the buildpacks of one group, in order. */
export interface OrderGroup {
  group: GroupElement[]
}

/** A parsed order.toml: the buildpack order plus notes about what was ignored. */
export interface OrderFile {
  order: OrderGroup[]
  /** Human-readable notes (e.g. ignored `[[order-extensions]]`), for a log line. */
  notes: string[]
}

/**
 * Returns the `[[order]]` array of tables in `t` under `key` as OrderGroups. Shared by
 * order.toml and composite buildpacks' `buildpack.toml`. Throws PlatformFileError on a group
 * element without a string `id`, a non-string `version` or a non-boolean `optional`.
 */
export function orderFromTable(t: Table, key: string, ctx: FieldContext): OrderGroup[] {
  return tableArray(t, key, ctx).map(({ table, ctx: oc }) => {
    const group = tableArray(table, 'group', oc).map(({ table: g, ctx: gc }) => compact<GroupElement>({
      id: reqString(g, 'id', gc),
      version: optString(g, 'version', gc),
      optional: optBool(g, 'optional', gc),
    }))
    if (group.length === 0) throw new PlatformFileError(oc.file, oc.path, 'a group must list at least one buildpack')
    return { group }
  })
}

/**
 * Parses order.toml text. `file` only names the file in errors. An empty file yields an
 * empty order (the caller decides whether that is an error). Throws PlatformFileError.
 */
export function parseOrder(text: string, file = 'order.toml'): OrderFile {
  return orderFileFromDoc(parseTomlText(text, file), file)
}

function orderFileFromDoc(doc: Table, file: string): OrderFile {
  const ctx = { file, path: '' }
  const order = orderFromTable(doc, 'order', ctx)
  const notes: string[] = []
  const ext = orderFromTable(doc, 'order-extensions', ctx)
  if (ext.length > 0) {
    notes.push(`${file}: [[order-extensions]] ignored (${ext.length} group(s)): image extensions are not supported`)
  }
  return { order, notes }
}

/** Reads and parses the order.toml at `path`; throws PlatformFileError when missing or invalid. */
export async function readOrderFile(path: string): Promise<OrderFile> {
  return orderFileFromDoc(await readTomlFile(path), path)
}

/**
 * Returns order.toml text for `order`: `id`, `version`, then `optional = true` only when set.
 * Deterministic: the same order gives the same bytes.
 */
export function stringifyOrder(order: readonly OrderGroup[]): string {
  return stringifyToml({
    order: order.map((o) => ({
      group: o.group.map((g) => compact({ id: g.id, version: g.version, optional: g.optional ? true : undefined })),
    })),
  })
}
