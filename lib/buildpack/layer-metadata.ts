/** A buildpack's `<layer>.toml` files: reading them, listing a layers dir, and writing them as the restorer does. */
import { readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { isDir, sortedNames } from './dir-list.js'
import { errorsFor, optBool, optTable, parseTomlTable, stringifyToml, type Table } from './toml-fields.js'
import { definedOnly } from '../defined.js'

/** The `[types]` flags of a layer; all false when `[types]` is absent. */
export interface LayerTypes {
  launch: boolean
  build: boolean
  cache: boolean
}

/** A parsed `<layers>/<id>/<name>.toml`. */
export interface LayerMetadataFile {
  types: LayerTypes
  /** `[metadata]`, or {} when absent (then `noMetadata` is set: the label's `data` is null). */
  metadata: Table
  noMetadata?: true
}

/** Names that are never layers: launch.toml, build.toml and store.toml sit beside the layers. */
export const RESERVED_LAYER_NAMES: readonly string[] = ['build', 'launch', 'store']

/** SBOM file extensions a buildpack may write, with their media types. */
export const SBOM_EXTENSIONS: Readonly<Record<string, string>> = {
  'cdx.json': 'application/vnd.cyclonedx+json',
  'spdx.json': 'application/spdx+json',
  'syft.json': 'application/vnd.syft+json',
}

const CODE = 'ERR_BUILDPACK_LAYER_TOML'

/**
 * Parses a layer's `<name>.toml`. Throws BuildpackFileError (ERR_BUILDPACK_LAYER_TOML) naming `path`
 * for bad TOML, for launch/build/cache at the top level instead of under [types] (as the lifecycle
 * does), or for non-boolean flags.
 */
export function parseLayerMetadata(text: string, path: string): LayerMetadataFile {
  const fail = errorsFor(CODE, path)
  const root = parseTomlTable(text, fail)
  for (const k of ['launch', 'build', 'cache']) {
    if (k in root) throw fail(k, `must be under [types], not at the top level (write [types] ${k} = …)`)
  }
  const types = optTable(root, 'types', fail) ?? {}
  return definedOnly({
    types: {
      launch: optBool(types, 'launch', fail, 'types.launch'),
      build: optBool(types, 'build', fail, 'types.build'),
      cache: optBool(types, 'cache', fail, 'types.cache'),
    },
    metadata: optTable(root, 'metadata', fail) ?? {},
    noMetadata: root['metadata'] === undefined ? true as const : undefined,
  })
}

/**
 * Returns the TOML the restorer writes for a layer, as the lifecycle's restorer does for every
 * Buildpack API: only `[metadata]`, never a `[types]` table (all flags false: the buildpack must
 * opt in again), and nothing at all when the layer had no metadata (`data` null in the label).
 */
export function formatRestoredLayerMetadata(metadata: Table | undefined): string {
  return metadata === undefined ? '' : stringifyToml({ metadata })
}

/** Writes the restored form of `<name>.toml` (only [metadata]) to `path`. */
export async function writeRestoredLayerMetadata(path: string, metadata: Table | undefined): Promise<void> {
  await writeFile(path, formatRestoredLayerMetadata(metadata))
}

/** One SBOM file a buildpack wrote. */
export interface SbomFile {
  /** The file's extension key in SBOM_EXTENSIONS, e.g. "cdx.json". */
  ext: string
  mediaType: string
  path: string
}

/** One layer found in a buildpack's layers directory. */
export interface LayerInfo {
  name: string
  /** `<bpLayersDir>/<name>` (may not exist: see hasDir). */
  dir: string
  tomlPath: string
  types: LayerTypes
  metadata: Table
  /** Set when `<name>.toml` has no `[metadata]` (the label's `data` is then null). */
  noMetadata?: true
  hasDir: boolean
  sbomFiles: SbomFile[]
}

function sbomOf(fileName: string, prefix: string): { ext: string; mediaType: string } | undefined {
  if (!fileName.startsWith(`${prefix}.sbom.`)) return undefined
  const ext = fileName.slice(prefix.length + '.sbom.'.length)
  const mediaType = SBOM_EXTENSIONS[ext]
  return mediaType ? { ext, mediaType } : undefined
}

/**
 * Lists the layers of one buildpack (`<layers>/<escaped-id>`): every `<name>.toml` except
 * launch/build/store.toml, sorted by name, with its types, metadata, whether `<name>/` exists and its
 * `<name>.sbom.<ext>` files. A missing directory yields []. Malformed layer TOML throws.
 */
export async function readLayersDir(bpLayersDir: string): Promise<LayerInfo[]> {
  const names = await sortedNames(bpLayersDir)
  const out: LayerInfo[] = []
  for (const file of names) {
    if (!file.endsWith('.toml')) continue
    const name = file.slice(0, -'.toml'.length)
    if (RESERVED_LAYER_NAMES.includes(name) || name === '') continue
    const tomlPath = join(bpLayersDir, file)
    if (await isDir(tomlPath)) continue
    const parsed = parseLayerMetadata(await readFile(tomlPath, 'utf8'), tomlPath)
    const dir = join(bpLayersDir, name)
    const sbomFiles: SbomFile[] = []
    for (const f of names) {
      const s = sbomOf(f, name)
      if (s) sbomFiles.push({ ...s, path: join(bpLayersDir, f) })
    }
    out.push(definedOnly({ name, dir, tomlPath, types: parsed.types, metadata: parsed.metadata, noMetadata: parsed.noMetadata, hasDir: await isDir(dir), sbomFiles }))
  }
  return out
}

/** Returns the buildpack-level SBOM files (`launch.sbom.<ext>`, `build.sbom.<ext>`) in a buildpack's layers dir. */
export async function readBuildpackSbomFiles(bpLayersDir: string): Promise<{ launch: SbomFile[]; build: SbomFile[] }> {
  const names = await sortedNames(bpLayersDir)
  const pick = (prefix: string): SbomFile[] =>
    names.flatMap((f) => {
      const s = sbomOf(f, prefix)
      return s ? [{ ...s, path: join(bpLayersDir, f) }] : []
    })
  return { launch: pick('launch'), build: pick('build') }
}

/** Returns the paths of `*.sbom.*` files in a buildpack's layers dir whose extension is not in SBOM_EXTENSIONS. */
export async function findUnsupportedSbomFiles(bpLayersDir: string): Promise<string[]> {
  const names = await sortedNames(bpLayersDir)
  return names
    .filter((n) => {
      const i = n.indexOf('.sbom.')
      return i > 0 && SBOM_EXTENSIONS[n.slice(i + '.sbom.'.length)] === undefined
    })
    .map((n) => join(bpLayersDir, n))
}

/**
 * Run right after a buildpack's bin/build: renames every layer directory whose three type flags are
 * false to `<name>.ignore` (replacing an older one), so it is neither exported nor cached. Returns
 * the renamed layer names.
 */
export async function finalizeLayers(bpLayersDir: string): Promise<string[]> {
  const renamed: string[] = []
  for (const layer of await readLayersDir(bpLayersDir)) {
    const { launch, build, cache } = layer.types
    if (launch || build || cache || !layer.hasDir) continue
    const target = `${layer.dir}.ignore`
    await rm(target, { recursive: true, force: true })
    await rename(layer.dir, target)
    renamed.push(layer.name)
  }
  return renamed
}
