/** `<layers>/config/metadata.toml` (cnb-spec.md §3.7): written after the build, shipped in the
 * config layer, read by the exporter and by the launcher (ours and the Go one). Processes use
 * the Platform >= 0.10 form: `command` is an array, `args` separate, `direct = true`.
 */
import { PlatformFileError } from '../errors.js'
import {
  type FieldContext, type Table, at, compact, optBool, optString, optStringArray, parseTomlText, readTomlFile,
  reqString, stringifyToml, tableArray,
} from '../../toml/index.js'

/** A buildpack (or extension) that took part in the build. */
export interface MetadataBuildpack {
  id: string
  version: string
  api: string
  homepage?: string
}

/** A launch process as the launcher sees it. */
export interface LaunchProcess {
  type: string
  command: string[]
  args: string[]
  direct: boolean
  buildpackId: string
  /** Absolute working directory; omitted from the file when unset. */
  workingDir?: string
}

/** An image label a buildpack asked for in launch.toml. */
export interface LaunchLabel {
  key: string
  value: string
}

/** A launch.toml `[[slices]]` entry: path globs relative to the app dir. */
export interface Slice {
  paths: string[]
}

/** The whole metadata.toml. */
export interface BuildMetadataToml {
  buildpacks: MetadataBuildpack[]
  extensions?: MetadataBuildpack[]
  processes: LaunchProcess[]
  labels: LaunchLabel[]
  slices: Slice[]
  /** The process type that becomes the image's default entrypoint, if any buildpack chose one. */
  buildpackDefaultProcessType?: string
}

function buildpackTable(b: MetadataBuildpack): Table {
  return compact({ id: b.id, version: b.version, api: b.api, homepage: b.homepage || undefined })
}

/**
 * Returns metadata.toml text, key order as in §3.7: buildpack-default-process-type (when set),
 * [[buildpacks]], [[processes]] (type, command, args, direct, buildpack-id, working-dir when
 * set), [[labels]], [[slices]], [[extensions]] (when any). Empty arrays of tables are omitted.
 * Byte-stable for the same input.
 */
export function stringifyMetadataToml(md: BuildMetadataToml): string {
  const doc: Table = {}
  if (md.buildpackDefaultProcessType) doc['buildpack-default-process-type'] = md.buildpackDefaultProcessType
  doc['buildpacks'] = md.buildpacks.map(buildpackTable)
  if (md.processes.length > 0) {
    doc['processes'] = md.processes.map((p) => compact({
      type: p.type,
      command: [...p.command],
      args: [...p.args],
      direct: p.direct,
      'buildpack-id': p.buildpackId,
      'working-dir': p.workingDir || undefined,
    }))
  }
  if (md.labels.length > 0) doc['labels'] = md.labels.map((l) => ({ key: l.key, value: l.value }))
  if (md.slices.length > 0) doc['slices'] = md.slices.map((s) => ({ paths: [...s.paths] }))
  if (md.extensions && md.extensions.length > 0) doc['extensions'] = md.extensions.map(buildpackTable)
  return stringifyToml(doc)
}

function commandFrom(t: Table, ctx: FieldContext): string[] {
  const v = t['command']
  // Platform < 0.10 wrote a single string; keep it as a one-element command.
  if (typeof v === 'string') return [v]
  const arr = optStringArray(t, 'command', ctx)
  if (!arr || arr.length === 0) throw new PlatformFileError(ctx.file, at(ctx, 'command').path, 'must be a non-empty array of strings')
  return arr
}

function buildpacksFrom(doc: Table, key: string, ctx: FieldContext): MetadataBuildpack[] {
  return tableArray(doc, key, ctx).map(({ table, ctx: c }) => compact<MetadataBuildpack>({
    id: reqString(table, 'id', c),
    version: reqString(table, 'version', c, false),
    api: reqString(table, 'api', c),
    homepage: optString(table, 'homepage', c),
  }))
}

function metadataFromDoc(doc: Table, file: string): BuildMetadataToml {
  const ctx = { file, path: '' }
  const extensions = buildpacksFrom(doc, 'extensions', ctx)
  return compact<BuildMetadataToml>({
    buildpacks: buildpacksFrom(doc, 'buildpacks', ctx),
    extensions: extensions.length > 0 ? extensions : undefined,
    processes: tableArray(doc, 'processes', ctx).map(({ table, ctx: c }) => compact<LaunchProcess>({
      type: reqString(table, 'type', c),
      command: commandFrom(table, c),
      args: optStringArray(table, 'args', c) ?? [],
      direct: optBool(table, 'direct', c) ?? false,
      buildpackId: optString(table, 'buildpack-id', c) ?? '',
      workingDir: optString(table, 'working-dir', c) || undefined,
    })),
    labels: tableArray(doc, 'labels', ctx).map(({ table, ctx: c }) => ({
      key: reqString(table, 'key', c), value: reqString(table, 'value', c, false),
    })),
    slices: tableArray(doc, 'slices', ctx).map(({ table, ctx: c }) => ({ paths: optStringArray(table, 'paths', c) ?? [] })),
    buildpackDefaultProcessType: optString(doc, 'buildpack-default-process-type', ctx) || undefined,
  })
}

/** Parses metadata.toml text (string `command` accepted as one element); throws PlatformFileError. */
export function parseMetadataToml(text: string, file = 'metadata.toml'): BuildMetadataToml {
  return metadataFromDoc(parseTomlText(text, file), file)
}

/** Reads and parses the metadata.toml at `path`; throws PlatformFileError when missing or invalid. */
export async function readMetadataToml(path: string): Promise<BuildMetadataToml> {
  return metadataFromDoc(await readTomlFile(path), path)
}
