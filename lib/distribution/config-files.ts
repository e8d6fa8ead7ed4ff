/** pack's `builder.toml` and `package.toml`: parsed with errors naming the file and key; relative
 * URIs resolved against the file's directory. Legacy `[stack]` fills `[build] image` and
 * `[[run.images]]` when those are absent.
 */
import { dirname, isAbsolute, resolve } from 'node:path'
import {
  at, optString, optStringArray, optTable, readTomlFile, reqString, tableArray, type FieldContext,
} from '../toml/index.js'
import { orderFromTable } from '../platform/index.js'
import { DistributionError } from './errors.js'
import type { OrderGroupJson, RunImageJson } from './labels.js'
import { definedOnly } from '../defined.js'

/** One `[[buildpacks]]` / `[[dependencies]]` entry: where a buildpack or buildpackage comes from. */
export interface ModuleRef { uri: string; id?: string; version?: string }

/** One `[[build.env]]` entry. */
export interface BuildConfigEnv { name: string; value: string; suffix?: 'default' | 'override' | 'append' | 'prepend'; delim?: string }

/** A parsed builder.toml. */
export interface BuilderToml {
  file: string
  description: string
  buildpacks: ModuleRef[]
  order: OrderGroupJson[]
  buildImage: string
  buildEnv: BuildConfigEnv[]
  runImages: RunImageJson[]
  stackId?: string
  lifecycle?: { uri?: string; version?: string }
  /** Tables read but not acted on ([[extensions]], [[order-extensions]], [[targets]]), for a warning. */
  ignored: string[]
}

/** A parsed package.toml. */
export interface PackageToml { file: string; buildpack: ModuleRef; dependencies: ModuleRef[]; os: string }

/** Resolves a uri as pack does: `docker://` and registry references stay, paths become absolute (against `base`). */
export function resolveUri(uri: string, base: string): string {
  if (/^(docker|https?|urn):/.test(uri)) return uri
  const path = uri.replace(/^file:\/\//, '')
  if (isAbsolute(path) || path.startsWith('.') || /\.(cnb|tgz|tar|tar\.gz)$/.test(path) || !looksLikeReference(path)) return resolve(base, path)
  return uri
}

// `registry.example.com/ns/name:tag` vs a relative directory `buildpacks/node`: a reference has a
// registry-like first component (a dot, a port or localhost) or a tag/digest.
function looksLikeReference(s: string): boolean {
  const first = s.split('/')[0]!
  return /[.:]/.test(first) || first === 'localhost' || /[:@][^/]*$/.test(s.slice(first.length))
}

function moduleRefs(t: Record<string, unknown>, key: string, ctx: FieldContext, base: string): ModuleRef[] {
  return tableArray(t, key, ctx).map(({ table, ctx: c }) => {
    const uri = optString(table, 'uri', c) ?? optString(table, 'image', c)
    if (!uri) throw new DistributionError('CONFIG_INVALID', ctx.file, `${c.path}: a uri (or image) is required`)
    const id = optString(table, 'id', c)
    const version = optString(table, 'version', c)
    const image = optString(table, 'image', c)
    return definedOnly({ uri: image ? `docker://${image}` : resolveUri(uri, base), id: id || undefined, version: version || undefined })
  })
}

/** Reads a builder.toml. */
export async function readBuilderToml(file: string): Promise<BuilderToml> {
  const doc = await readTomlFile(file)
  const ctx = { file, path: '' }
  const base = dirname(resolve(file))
  const build = optTable(doc, 'build', ctx) ?? {}
  const run = optTable(doc, 'run', ctx) ?? {}
  const stack = optTable(doc, 'stack', ctx)
  const sc = at(ctx, 'stack')
  const buildEnv = tableArray(build, 'env', at(ctx, 'build')).map(({ table, ctx: c }) => {
    const suffix = optString(table, 'suffix', c)
    if (suffix !== undefined && !['default', 'override', 'append', 'prepend'].includes(suffix)) {
      throw new DistributionError('CONFIG_INVALID', file, `${c.path}.suffix must be default, override, append or prepend, got ${JSON.stringify(suffix)}`)
    }
    const delim = optString(table, 'delim', c)
    return definedOnly({ name: reqString(table, 'name', c), value: reqString(table, 'value', c, false), suffix: (suffix || undefined) as BuildConfigEnv['suffix'], delim: delim || undefined })
  })
  let runImages: RunImageJson[] = tableArray(run, 'images', at(ctx, 'run')).map(({ table, ctx: c }) => ({ image: reqString(table, 'image', c), mirrors: optStringArray(table, 'mirrors', c) ?? [] }))
  const stackRun = stack ? optString(stack, 'run-image', sc) : undefined
  if (runImages.length === 0 && stackRun) runImages = [{ image: stackRun, mirrors: optStringArray(stack!, 'run-image-mirrors', sc) ?? [] }]
  const buildImage = optString(build, 'image', at(ctx, 'build')) ?? (stack ? optString(stack, 'build-image', sc) : undefined)
  if (!buildImage) throw new DistributionError('CONFIG_INVALID', file, 'no build image: set [build] image (or the legacy [stack] build-image)')
  if (runImages.length === 0) throw new DistributionError('CONFIG_INVALID', file, 'no run image: add [[run.images]] image = "..." (or the legacy [stack] run-image)')
  const lc = optTable(doc, 'lifecycle', ctx)
  const lcUri = lc ? optString(lc, 'uri', at(ctx, 'lifecycle')) : undefined
  const lcVersion = lc ? optString(lc, 'version', at(ctx, 'lifecycle')) : undefined
  const lifecycle = lc ? definedOnly({ uri: lcUri ? resolveUri(lcUri, base) : undefined, version: lcVersion || undefined }) : undefined
  const stackId = stack ? optString(stack, 'id', sc) : undefined
  return definedOnly({
    file, description: optString(doc, 'description', ctx) ?? '', buildpacks: moduleRefs(doc, 'buildpacks', ctx, base),
    order: orderFromTable(doc, 'order', ctx), buildImage, buildEnv, runImages,
    stackId: stackId || undefined, lifecycle,
    // Image extensions are not supported by lading; targets come from the build image's platform.
    ignored: ['extensions', 'order-extensions', 'targets'].filter((k) => doc[k] !== undefined),
  })
}

/** Reads a package.toml. */
export async function readPackageToml(file: string): Promise<PackageToml> {
  const doc = await readTomlFile(file)
  const ctx = { file, path: '' }
  const base = dirname(resolve(file))
  const bp = optTable(doc, 'buildpack', ctx)
  if (!bp) throw new DistributionError('CONFIG_INVALID', file, '[buildpack] uri is required')
  const uri = reqString(bp, 'uri', at(ctx, 'buildpack'))
  const platform = optTable(doc, 'platform', ctx)
  return {
    file, buildpack: { uri: resolveUri(uri, base) }, dependencies: moduleRefs(doc, 'dependencies', ctx, base),
    os: (platform ? optString(platform, 'os', at(ctx, 'platform')) : undefined) ?? 'linux',
  }
}
