/** `project.toml` (project descriptor) in both schemas, normalized to one shape:
 * - 0.2: `[_] schema-version = "0.2"`, id/name/version, `[io.buildpacks]` include/exclude/builder,
 *   `[[io.buildpacks.group]]`, `[[io.buildpacks.pre.group]]`, `[[io.buildpacks.post.group]]`,
 *   `[[io.buildpacks.build.env]]`;
 * - 0.1 (no `[_]` schema-version): `[project]` id/name/version/source-url, `[build]` include/exclude/builder,
 *   `[[build.buildpacks]]`, `[[build.env]]`.
 * Buildpack `uri`s are kept as written; resolving them against the app dir is the caller's job.
 */
import { PlatformFileError } from '../errors.js'
import {
  type FieldContext, type Table, at, compact, optString, optStringArray, optTable, parseTomlText, readTomlFile,
  reqString, tableArray,
} from '../../toml/index.js'

/** An inline buildpack (`[...group.script]`): its build script run by `shell` (default /bin/sh). */
export interface InlineScript {
  api: string
  inline: string
  shell: string
}

/** A buildpack named by the project: by id (and version), by uri, or inline (id + script). */
export interface ProjectBuildpack {
  id?: string
  version?: string
  uri?: string
  script?: InlineScript
}

/** The normalized project descriptor. `include` and `exclude` are never both set. */
export interface ProjectDescriptor {
  schemaVersion: '0.1' | '0.2'
  id?: string
  name?: string
  version?: string
  sourceUrl?: string
  builder?: string
  include?: string[]
  exclude?: string[]
  /** The group the project asks for (`io.buildpacks.group` / `build.buildpacks`), in order. */
  buildpacks: ProjectBuildpack[]
  /** 0.2 only: buildpacks to run before / after every group. */
  pre: ProjectBuildpack[]
  post: ProjectBuildpack[]
  /** Build-time environment from `build.env` entries; a later duplicate name wins. */
  env: Record<string, string>
  /** Notes for a log line: ignored tables, unknown schema parts. */
  warnings: string[]
}

function buildpacksFrom(t: Table, key: string, ctx: FieldContext): ProjectBuildpack[] {
  return tableArray(t, key, ctx).map(({ table, ctx: bc }) => {
    const script = optTable(table, 'script', bc)
    const sc = at(bc, 'script')
    const bp = compact<ProjectBuildpack>({
      id: optString(table, 'id', bc) || undefined,
      version: optString(table, 'version', bc) || undefined,
      uri: optString(table, 'uri', bc) || undefined,
      script: script
        ? { api: reqString(script, 'api', sc), inline: reqString(script, 'inline', sc), shell: optString(script, 'shell', sc) || '/bin/sh' }
        : undefined,
    })
    if (!bp.id && !bp.uri) throw new PlatformFileError(bc.file, bc.path, 'a buildpack needs an "id" or a "uri"')
    if (bp.script && !bp.id) throw new PlatformFileError(bc.file, at(bc, 'id').path, 'is required for an inline buildpack (script)')
    return bp
  })
}

function envFrom(t: Table, key: string, ctx: FieldContext): Record<string, string> {
  const env: Record<string, string> = {}
  for (const { table, ctx: ec } of tableArray(t, key, ctx)) {
    const name = reqString(table, 'name', ec)
    env[name] = reqString(table, 'value', ec, false)
  }
  return env
}

function includeExclude(t: Table, ctx: FieldContext): { include?: string[]; exclude?: string[] } {
  const include = optStringArray(t, 'include', ctx)
  const exclude = optStringArray(t, 'exclude', ctx)
  if (include && exclude) {
    throw new PlatformFileError(ctx.file, at(ctx, 'include').path, `cannot be combined with "${at(ctx, 'exclude').path}"`)
  }
  return compact({ include, exclude })
}

function fromV02(doc: Table, meta: Table, file: string): ProjectDescriptor {
  const root = { file, path: '' }
  const mc = at(root, '_')
  const io = optTable(doc, 'io', root)
  const ioc = at(root, 'io')
  const bps = io ? optTable(io, 'buildpacks', ioc) : undefined
  const bc = at(ioc, 'buildpacks')
  const build = bps ? optTable(bps, 'build', bc) : undefined
  const pre = bps ? optTable(bps, 'pre', bc) : undefined
  const post = bps ? optTable(bps, 'post', bc) : undefined
  const warnings: string[] = []
  if (doc['project'] !== undefined || doc['build'] !== undefined) {
    warnings.push(`${file}: [project]/[build] tables are ignored with schema-version 0.2`)
  }
  return compact<ProjectDescriptor>({
    schemaVersion: '0.2',
    id: optString(meta, 'id', mc),
    name: optString(meta, 'name', mc),
    version: optString(meta, 'version', mc),
    sourceUrl: optString(meta, 'source-url', mc),
    builder: bps ? optString(bps, 'builder', bc) : undefined,
    ...(bps ? includeExclude(bps, bc) : {}),
    buildpacks: bps ? buildpacksFrom(bps, 'group', bc) : [],
    pre: pre ? buildpacksFrom(pre, 'group', at(bc, 'pre')) : [],
    post: post ? buildpacksFrom(post, 'group', at(bc, 'post')) : [],
    env: build ? envFrom(build, 'env', at(bc, 'build')) : {},
    warnings,
  })
}

function fromV01(doc: Table, file: string): ProjectDescriptor {
  const root = { file, path: '' }
  const project = optTable(doc, 'project', root)
  const pc = at(root, 'project')
  const build = optTable(doc, 'build', root)
  const bc = at(root, 'build')
  const warnings: string[] = []
  if (doc['io'] !== undefined) {
    warnings.push(`${file}: [io.buildpacks] is ignored without [_] schema-version = "0.2"`)
  }
  return compact<ProjectDescriptor>({
    schemaVersion: '0.1',
    id: project ? optString(project, 'id', pc) : undefined,
    name: project ? optString(project, 'name', pc) : undefined,
    version: project ? optString(project, 'version', pc) : undefined,
    sourceUrl: project ? optString(project, 'source-url', pc) : undefined,
    builder: build ? optString(build, 'builder', bc) : undefined,
    ...(build ? includeExclude(build, bc) : {}),
    buildpacks: build ? buildpacksFrom(build, 'buildpacks', bc) : [],
    pre: [],
    post: [],
    env: build ? envFrom(build, 'env', bc) : {},
    warnings,
  })
}

function projectFromDoc(doc: Table, file: string): ProjectDescriptor {
  const meta = optTable(doc, '_', { file, path: '' })
  const schema = meta ? optString(meta, 'schema-version', { file, path: '_' }) : undefined
  if (schema === undefined || schema === '0.1') return fromV01(doc, file)
  if (schema === '0.2') return fromV02(doc, meta!, file)
  throw new PlatformFileError(file, '_.schema-version', `unsupported schema version ${JSON.stringify(schema)} (want "0.1" or "0.2")`)
}

/** Parses project.toml text into the normalized descriptor; throws PlatformFileError naming the key. */
export function parseProject(text: string, file = 'project.toml'): ProjectDescriptor {
  return projectFromDoc(parseTomlText(text, file), file)
}

/**
 * Reads the project.toml at `path`; returns undefined when the file does not exist (a project
 * without a descriptor). Throws PlatformFileError when it exists but is invalid.
 */
export async function readProjectFile(path: string): Promise<ProjectDescriptor | undefined> {
  const doc = await readTomlFile(path, true)
  return doc === undefined ? undefined : projectFromDoc(doc, path)
}
