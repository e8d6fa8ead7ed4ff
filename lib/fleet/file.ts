/** The fleet file (TOML, or YAML for .yaml/.yml): `[defaults]` and `[[images]]` entries with
 * tag, path | git + revision, builder | buildpacks (+ run-image), run-image, env, cache-image.
 * Structural problems (syntax, unknown key, wrong type, duplicate tag, no source) fail the whole
 * file with its line; problems found later (a path that does not exist) belong to one image.
 */
import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { parseReference } from '../oci/index.js'
import { parseTomlText } from '../toml/index.js'
import { FleetFileError, type FleetLocation } from './errors.js'
import { parseYaml, tomlLocator, type Locator } from './locate.js'

/** Where an image's source comes from. */
export type FleetSource =
  | { kind: 'path'; path: string; declared: string }
  | { kind: 'git'; url: string; revision: string }

/** One declared image, defaults applied. */
export interface FleetEntry {
  /** Position in the file (0-based) and where it starts. */
  index: number
  at: FleetLocation
  tag: string
  source: FleetSource
  builder?: string
  buildpacks?: string[]
  runImage?: string
  env: Record<string, string>
  cacheImage?: string
  /** The line of each key the entry (or defaults) set, for later errors. */
  lines: Record<string, number>
}

/** A parsed fleet file. */
export interface FleetFile {
  file: string
  /** Relative paths (path, buildpacks) resolve against this directory. */
  dir: string
  images: FleetEntry[]
}

const IMAGE_KEYS = ['tag', 'path', 'git', 'revision', 'builder', 'buildpacks', 'run-image', 'env', 'cache-image'] as const
const TOP_KEYS = ['defaults', 'images']

type Raw = Record<string, unknown>
const isTable = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date)

/** Reads and validates the fleet file at `path`. */
export async function readFleetFile(path: string): Promise<FleetFile> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new FleetFileError({ file: path, line: 0, entry: '' }, `cannot read the fleet file (${(err as NodeJS.ErrnoException).code ?? err})`, { cause: err })
  }
  return parseFleetText(text, path)
}

/** Parses fleet file text; `file` names it in errors and anchors relative paths. */
export function parseFleetText(text: string, file: string): FleetFile {
  const whole = { file, line: 0, entry: '' }
  let data: unknown
  let locator: Locator
  if (/\.ya?ml$/i.test(file)) {
    const y = parseYaml(text)
    if (y.error) throw new FleetFileError({ ...whole, line: y.error.line }, `not valid YAML: ${y.error.message}`)
    data = y.data ?? {}
    locator = y.locator
  } else {
    locator = tomlLocator(text)
    try {
      data = parseTomlText(text, file)
    } catch (err) {
      throw new FleetFileError(whole, (err as Error).message.replace(`${file}: `, ''), { cause: err })
    }
  }
  if (!isTable(data)) throw new FleetFileError(whole, 'must be a table with [defaults] and [[images]]')
  for (const k of Object.keys(data)) {
    if (!TOP_KEYS.includes(k)) throw new FleetFileError({ ...whole, line: locator.top(k) }, `unknown key ${JSON.stringify(k)} (expected defaults, images)`)
  }
  const defaultsAt = { file, line: locator.key('defaults', 'defaults') || locator.top('defaults'), entry: 'defaults' }
  const defaults = data['defaults'] ?? {}
  if (!isTable(defaults)) throw new FleetFileError(defaultsAt, 'must be a table')
  checkKeys(defaults, defaultsAt, (k) => locator.key('defaults', k), ['tag'])
  const images = data['images'] ?? []
  if (!Array.isArray(images)) throw new FleetFileError({ ...whole, line: locator.top('images') }, 'images must be an array of tables ([[images]])')
  const dir = dirname(resolve(file))
  const seen = new Map<string, FleetEntry>()
  const out: FleetEntry[] = []
  images.forEach((raw, i) => {
    const line = locator.entry(i)
    const tagGuess = isTable(raw) && typeof raw['tag'] === 'string' ? ` (${raw['tag']})` : ''
    const at: FleetLocation = { file, line, entry: `images[${i}]${tagGuess}` }
    if (!isTable(raw)) throw new FleetFileError(at, 'must be a table')
    const keyAt = (k: string): FleetLocation => ({ ...at, line: locator.key(i, k) || line })
    checkKeys(raw, at, (k) => locator.key(i, k))
    const merged: Raw = { ...defaults, ...raw }
    // env merges name by name: an image adds to or overrides the defaults' variables.
    if (isTable(defaults['env']) && isTable(raw['env'])) merged['env'] = { ...defaults['env'], ...raw['env'] }
    const entry = toEntry(i, at, merged, raw, keyAt, (k) => k in raw ? locator.key(i, k) : locator.key('defaults', k), dir)
    const key = canonicalTag(entry.tag, keyAt('tag'))
    const prev = seen.get(key)
    if (prev) throw new FleetFileError(keyAt('tag'), `duplicate tag ${JSON.stringify(entry.tag)}: already declared by ${prev.at.entry} at line ${prev.at.line}`)
    seen.set(key, entry)
    out.push(entry)
  })
  return { file, dir, images: out }
}

function checkKeys(t: Raw, at: FleetLocation, lineOf: (k: string) => number, forbidden: string[] = []): void {
  for (const k of Object.keys(t)) {
    if (!(IMAGE_KEYS as readonly string[]).includes(k) || forbidden.includes(k)) {
      const allowed = IMAGE_KEYS.filter((x) => !forbidden.includes(x)).join(', ')
      throw new FleetFileError({ ...at, line: lineOf(k) || at.line }, `unknown key ${JSON.stringify(k)} (expected one of ${allowed})`)
    }
  }
}

/** The tag as the registry sees it, so `r/a` and `r/a:latest` count as the same image. */
function canonicalTag(tag: string, at: FleetLocation): string {
  if (tag.startsWith('oci:')) return tag.includes(':', 4) ? tag : `${tag}:latest`
  try {
    const r = parseReference(tag)
    return r.digest ? r.toString() : `${r.name()}:${r.tag ?? 'latest'}`
  } catch (err) {
    throw new FleetFileError(at, `tag ${JSON.stringify(tag)}: ${(err as Error).message}`, { cause: err })
  }
}

function toEntry(
  index: number, at: FleetLocation, v: Raw, own: Raw, keyAt: (k: string) => FleetLocation, lineOf: (k: string) => number, dir: string,
): FleetEntry {
  const str = (k: string): string | undefined => {
    const x = v[k]
    if (x === undefined) return undefined
    if (typeof x !== 'string' || x === '') throw new FleetFileError(keyAt(k), `${k} must be a non-empty string`)
    return x
  }
  const tag = str('tag')
  if (!tag) throw new FleetFileError(at, 'missing tag')
  const path = str('path')
  const git = str('git')
  const revision = str('revision')
  // A source in defaults applies only when the entry names none of its own.
  const ownSource = 'path' in own || 'git' in own
  const usePath = ownSource ? 'path' in own : path !== undefined
  if (ownSource && 'path' in own && 'git' in own) throw new FleetFileError(keyAt('git'), 'path and git exclude each other')
  if (!ownSource && path !== undefined && git !== undefined) throw new FleetFileError(keyAt('git'), 'path and git exclude each other')
  let source: FleetSource
  if (usePath && path !== undefined) {
    if ('revision' in own) throw new FleetFileError(keyAt('revision'), 'revision needs git, not path')
    source = { kind: 'path', path: resolve(dir, path), declared: path }
  } else if (git !== undefined) {
    source = { kind: 'git', url: git, revision: revision ?? 'HEAD' }
  } else {
    throw new FleetFileError(at, 'missing source: set path = "DIR" or git = "URL" (with revision)')
  }
  const builder = str('builder')
  const bps = v['buildpacks']
  if (bps !== undefined && (!Array.isArray(bps) || bps.some((b) => typeof b !== 'string' || b === ''))) {
    throw new FleetFileError(keyAt('buildpacks'), 'buildpacks must be an array of strings (DIR or ID[@VERSION])')
  }
  const ownBuilder = 'builder' in own
  const ownBps = 'buildpacks' in own
  if (ownBuilder && ownBps) throw new FleetFileError(keyAt('buildpacks'), 'builder and buildpacks exclude each other')
  // An image's own builder/buildpacks wins over the other one from defaults.
  const useBuilder = ownBuilder || (!ownBps && builder !== undefined && bps === undefined)
  if (!ownBuilder && !ownBps && builder !== undefined && bps !== undefined) {
    throw new FleetFileError(keyAt('buildpacks'), 'builder and buildpacks exclude each other (both set in defaults)')
  }
  if (!useBuilder && bps === undefined) throw new FleetFileError(at, 'no builder and no buildpacks: set builder = "REF" or buildpacks = [...] with run-image')
  const runImage = str('run-image')
  if (!useBuilder && !runImage) throw new FleetFileError(at, 'buildpacks need a run-image')
  const envRaw = v['env'] ?? {}
  if (!isTable(envRaw)) throw new FleetFileError(keyAt('env'), 'env must be a table of NAME = "value"')
  const env: Record<string, string> = {}
  for (const [k, x] of Object.entries(envRaw)) {
    if (typeof x !== 'string' && typeof x !== 'number' && typeof x !== 'boolean') throw new FleetFileError(keyAt('env'), `env.${k} must be a string`)
    env[k] = String(x)
  }
  const cacheImage = str('cache-image')
  const lines: Record<string, number> = {}
  for (const k of IMAGE_KEYS) if (k in v) lines[k] = lineOf(k) || at.line
  return {
    index, at, tag, source, env, lines,
    ...(useBuilder && builder ? { builder } : { buildpacks: [...(bps as string[])] }),
    ...(runImage ? { runImage } : {}), ...(cacheImage ? { cacheImage } : {}),
  }
}
