/** buildpack.toml: parsing and validating a buildpack's descriptor, ids as the lifecycle accepts them. */
import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { checkBuildpackApi } from '../api-version.js'
import { BuildpackDescriptorError } from './errors.js'
import type { BuildpackTarget, TargetDistro } from './target.js'
import {
  isTable, optBool, optString, optStringArray, optTable, optTableArray, parseTomlTable,
  type FileErrorFactory, type Table,
} from './toml-fields.js'

/** One entry of an `[[order.group]]` (in buildpack.toml or order.toml). */
export interface GroupRef {
  id: string
  version?: string
  optional: boolean
  execEnv?: string[]
}

/** One `[[order]]` entry: an ordered list of buildpack references. */
export interface OrderGroup {
  group: GroupRef[]
}

/** A `[[stacks]]` entry (deprecated since Buildpack API 0.10; only used to infer targets). */
export interface StackEntry {
  id: string
  mixins: string[]
}

/** A parsed and validated buildpack.toml. */
export interface BuildpackDescriptor {
  /** Path of the buildpack.toml this came from. */
  path: string
  /** The buildpack root directory (host path). */
  dir: string
  /** Canonical API version, e.g. "0.10". */
  api: string
  id: string
  version: string
  name?: string
  homepage?: string
  description?: string
  keywords: string[]
  clearEnv: boolean
  sbomFormats: string[]
  execEnv: string[]
  licenses: { type?: string; uri?: string }[]
  /** Non-empty for a composite buildpack. */
  order: OrderGroup[]
  /** `[[targets]]` as written (both `variant` and `arch-variant` accepted). */
  declaredTargets: BuildpackTarget[]
  stacks: StackEntry[]
  /** Effective targets: declared, else inferred (§1.1); empty means "matches everything". */
  targets: BuildpackTarget[]
  metadata: Table
}

/** Returns true for a composite (order-only) buildpack. */
export function isComposite(d: BuildpackDescriptor): boolean {
  return d.order.length > 0
}

/** Layer directory names a buildpack id may never take. */
export const RESERVED_BUILDPACK_IDS: readonly string[] = ['app', 'config', 'generated', 'sbom']

// Control characters (NUL included) can be no path element; `@` joins id@version in lading's keys.
// eslint-disable-next-line no-control-regex
const ID_FORBIDDEN = /[\u0000-\u001f\u007f@]/

/** Returns the path-element form of a buildpack id: every `/` becomes `_`. */
export function escapeId(id: string): string {
  return id.replaceAll('/', '_')
}

/** Returns where the platform places a buildpack: `<buildpacksDir>/<escaped-id>/<version>`. */
export function buildpackPath(id: string, version: string, buildpacksDir = '/cnb/buildpacks'): string {
  return `${buildpacksDir.replace(/\/+$/, '')}/${escapeId(id)}/${version}`
}

/**
 * Throws BuildpackDescriptorError (via `fail`) unless `id` is a buildpack id lading can use. The
 * lifecycle checks no id characters at all (the spec text's [a-z0-9./-] is not enforced there:
 * its own fixtures use `cacher_buildpack`), so neither does lading beyond what makes an id unsafe
 * or ambiguous as a directory name: it must be non-empty, without control characters or `@`, its
 * escaped form (`/` → `_`) must not be `.` or `..`, and it must not take a directory name the
 * platform itself uses under <layers> (app, config, generated, sbom).
 */
export function validateBuildpackId(id: string, fail: FileErrorFactory, key = 'buildpack.id'): void {
  if (id === '') throw fail(key, 'is required')
  const bad = ID_FORBIDDEN.exec(id)
  if (bad) throw fail(key, `${JSON.stringify(id)} contains ${JSON.stringify(bad[0])}, which cannot be part of a buildpack id`)
  if (escapeId(id) === '.' || escapeId(id) === '..') throw fail(key, `${JSON.stringify(id)} cannot name a directory`)
  if (RESERVED_BUILDPACK_IDS.includes(id.toLowerCase())) throw fail(key, `${JSON.stringify(id)} is reserved`)
}

/** Options for parseBuildpackDescriptor; `binFiles` (names in bin/) enables the bin-dependent checks. */
export interface ParseDescriptorOptions {
  dir?: string
  binFiles?: readonly string[]
}

function descriptorErrors(path: string): FileErrorFactory {
  return (key, message, cause) => new BuildpackDescriptorError(path, key, message, cause === undefined ? undefined : { cause })
}

function parseOrder(root: Table, fail: FileErrorFactory): OrderGroup[] {
  return optTableArray(root, 'order', fail).map((o, i) => ({
    group: optTableArray(o, 'group', fail, `order[${i}].group`).map((g, j) => parseGroupRef(g, fail, `order[${i}].group[${j}]`)),
  }))
}

/** Parses one `[[order.group]]` table; `label` prefixes keys in errors. */
export function parseGroupRef(g: Table, fail: FileErrorFactory, label: string): GroupRef {
  const id = optString(g, 'id', fail, `${label}.id`)
  if (!id) throw fail(`${label}.id`, 'is required')
  const ref: GroupRef = { id, optional: optBool(g, 'optional', fail, `${label}.optional`) }
  const version = optString(g, 'version', fail, `${label}.version`)
  if (version) ref.version = version
  if (g['exec-env'] !== undefined) ref.execEnv = optStringArray(g, 'exec-env', fail, `${label}.exec-env`)
  return ref
}

function parseTargets(root: Table, fail: FileErrorFactory): BuildpackTarget[] {
  return optTableArray(root, 'targets', fail).map((t, i) => {
    const k = (s: string): string => `targets[${i}].${s}`
    const out: BuildpackTarget = { distros: [] }
    const os = optString(t, 'os', fail, k('os'))
    const arch = optString(t, 'arch', fail, k('arch'))
    // The lifecycle reads `arch-variant`, the spec and pack write `variant`: take either.
    const variant = optString(t, 'variant', fail, k('variant')) ?? optString(t, 'arch-variant', fail, k('arch-variant'))
    if (os) out.os = os
    if (arch) out.arch = arch
    if (variant) out.variant = variant
    out.distros = optTableArray(t, 'distros', fail, k('distros')).map((d, j) => {
      const dd: TargetDistro = {}
      const name = optString(d, 'name', fail, k(`distros[${j}].name`))
      const version = optString(d, 'version', fail, k(`distros[${j}].version`))
      if (name) dd.name = name
      if (version) dd.version = version
      return dd
    })
    return out
  })
}

/** Returns the effective targets for a buildpack with no `[[targets]]` (cnb-spec.md §1.1 inference). */
export function inferTargets(stacks: readonly StackEntry[], binFiles: readonly string[] | undefined): BuildpackTarget[] {
  const out: BuildpackTarget[] = []
  for (const s of stacks) {
    if (s.id === '*') return [{ distros: [] }]
    if (s.id === 'io.buildpacks.stacks.bionic') {
      out.push({ os: 'linux', arch: 'amd64', distros: [{ name: 'ubuntu', version: '18.04' }] })
    }
  }
  if (out.length) return out
  if (binFiles?.includes('build')) out.push({ os: 'linux', distros: [] })
  if (binFiles?.includes('build.bat') || binFiles?.includes('build.exe')) out.push({ os: 'windows', distros: [] })
  return out
}

/**
 * Parses buildpack.toml text and validates it; `path` is used only in errors. Throws
 * BuildpackDescriptorError naming the file and key (bad TOML with its line, missing id/version/api,
 * reserved or malformed id, composite with bin/ or targets) or IncompatibleApiError.
 */
export function parseBuildpackDescriptor(text: string, path: string, opts: ParseDescriptorOptions = {}): BuildpackDescriptor {
  const fail = descriptorErrors(path)
  const root = parseTomlTable(text, fail)
  const api = optString(root, 'api', fail)
  if (!api) throw fail('api', 'is required')
  const canonicalApi = checkBuildpackApi(api, path)
  const bp = optTable(root, 'buildpack', fail)
  if (!bp) throw fail('buildpack', 'table is required')
  const id = optString(bp, 'id', fail, 'buildpack.id') ?? ''
  validateBuildpackId(id, fail)
  const version = optString(bp, 'version', fail, 'buildpack.version')
  if (!version) throw fail('buildpack.version', 'is required')
  const order = parseOrder(root, fail)
  const declaredTargets = parseTargets(root, fail)
  const stacks = optTableArray(root, 'stacks', fail).map((s, i) => ({
    id: optString(s, 'id', fail, `stacks[${i}].id`) ?? '',
    mixins: optStringArray(s, 'mixins', fail, `stacks[${i}].mixins`),
  }))
  if (order.length) {
    if (declaredTargets.length) throw fail('targets', 'a composite buildpack (with [[order]]) must not declare targets')
    if (stacks.length) throw fail('stacks', 'a composite buildpack (with [[order]]) must not declare stacks')
    if (opts.binFiles?.length) throw fail('order', 'a composite buildpack (with [[order]]) must not have a bin/ directory')
  }
  const licenses = optTableArray(bp, 'licenses', fail, 'buildpack.licenses').map((l, i) => {
    const o: { type?: string; uri?: string } = {}
    const type = optString(l, 'type', fail, `buildpack.licenses[${i}].type`)
    const uri = optString(l, 'uri', fail, `buildpack.licenses[${i}].uri`)
    if (type) o.type = type
    if (uri) o.uri = uri
    return o
  })
  const d: BuildpackDescriptor = {
    path,
    dir: opts.dir ?? '',
    api: canonicalApi,
    id,
    version,
    keywords: optStringArray(bp, 'keywords', fail, 'buildpack.keywords'),
    clearEnv: optBool(bp, 'clear-env', fail, 'buildpack.clear-env'),
    sbomFormats: optStringArray(bp, 'sbom-formats', fail, 'buildpack.sbom-formats'),
    execEnv: optStringArray(bp, 'exec-env', fail, 'buildpack.exec-env'),
    licenses,
    order,
    declaredTargets,
    stacks,
    targets: order.length ? [] : declaredTargets.length ? declaredTargets : inferTargets(stacks, opts.binFiles),
    metadata: isTable(root['metadata']) ? (root['metadata'] as Table) : {},
  }
  for (const k of ['name', 'homepage', 'description'] as const) {
    const v = optString(bp, k, fail, `buildpack.${k}`)
    if (v !== undefined) d[k] = v
  }
  return d
}

/** Reads `<dir>/buildpack.toml` (and lists `<dir>/bin`) and returns the validated descriptor. */
export async function readBuildpackDescriptor(dir: string): Promise<BuildpackDescriptor> {
  const path = join(dir, 'buildpack.toml')
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new BuildpackDescriptorError(path, undefined, `cannot read: ${(err as Error).message}`, { cause: err })
  }
  let binFiles: string[] = []
  try {
    binFiles = (await readdir(join(dir, 'bin'))).sort()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'ENOTDIR') throw err
  }
  return parseBuildpackDescriptor(text, path, { dir, binFiles })
}
