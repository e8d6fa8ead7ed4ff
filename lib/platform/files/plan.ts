/** `plan.toml` (cnb-spec.md §2.4), the resolved build plan written by detect, and the per-buildpack
 * plan file handed to `bin/build` as `$CNB_BP_PLAN_PATH` (§2.5).
 */
import {
  type Table, asTable, at, compact, optBool, parseTomlText, plainCopy, readTomlFile, reqString, stringifyToml,
  tableArray,
} from '../../toml/index.js'

/** A build plan requirement: a dependency name and free-form metadata. */
export interface PlanRequire {
  name: string
  metadata?: Record<string, unknown>
}

/** A buildpack that provides a plan entry (`optional`, `api`, `homepage` stripped). */
export interface PlanProvider {
  id: string
  version: string
  extension?: boolean
}

/** One `[[entries]]` of plan.toml: who provides a dependency and every requirement for it. */
export interface PlanEntry {
  providers: PlanProvider[]
  requires: PlanRequire[]
}

function requireTable(r: PlanRequire): Table {
  return compact({ name: r.name, metadata: r.metadata && Object.keys(r.metadata).length > 0 ? r.metadata : undefined })
}

function requiresFrom(t: Table, key: string, ctx: { file: string; path: string }): PlanRequire[] {
  return tableArray(t, key, ctx).map(({ table, ctx: rc }) => {
    const md = table['metadata']
    return compact<PlanRequire>({
      name: reqString(table, 'name', rc),
      metadata: md === undefined ? undefined : plainCopy(asTable(md, at(rc, 'metadata'))) as Record<string, unknown>,
    })
  })
}

function planFromDoc(doc: Table, file: string): PlanEntry[] {
  return tableArray(doc, 'entries', { file, path: '' }).map(({ table, ctx }) => ({
    providers: tableArray(table, 'providers', ctx).map(({ table: p, ctx: pc }) => compact<PlanProvider>({
      id: reqString(p, 'id', pc),
      version: reqString(p, 'version', pc, false),
      extension: optBool(p, 'extension', pc),
    })),
    requires: requiresFrom(table, 'requires', ctx),
  }))
}

/**
 * Returns plan.toml text: `[[entries]]` each with `[[entries.providers]]` (id, version,
 * `extension = true` only for extensions) then `[[entries.requires]]` (name, `[metadata]` when
 * non-empty). Byte-stable for the same input.
 */
export function stringifyPlan(entries: readonly PlanEntry[]): string {
  return stringifyToml({
    entries: entries.map((e) => ({
      providers: e.providers.map((p) => compact({ id: p.id, version: p.version, extension: p.extension ? true : undefined })),
      requires: e.requires.map(requireTable),
    })),
  })
}

/** Parses plan.toml text; throws PlatformFileError naming `file` and the key. */
export function parsePlan(text: string, file = 'plan.toml'): PlanEntry[] {
  return planFromDoc(parseTomlText(text, file), file)
}

/** Reads and parses the plan.toml at `path`; throws PlatformFileError when missing or invalid. */
export async function readPlanFile(path: string): Promise<PlanEntry[]> {
  return planFromDoc(await readTomlFile(path), path)
}

/**
 * Returns the buildpack plan text for one `bin/build` (§2.5): `[[entries]]` with name and
 * `[entries.metadata]`, in the given order (repeats allowed).
 */
export function stringifyBuildpackPlan(entries: readonly PlanRequire[]): string {
  return stringifyToml({ entries: entries.map(requireTable) })
}

/** Parses a buildpack plan file (`[[entries]] name, metadata`); throws PlatformFileError. */
export function parseBuildpackPlan(text: string, file = 'plan.toml'): PlanRequire[] {
  return requiresFrom(parseTomlText(text, file), 'entries', { file, path: '' })
}
