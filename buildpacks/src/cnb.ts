/** The Buildpack API 0.10 side of the Node.js buildpacks: paths from the environment, TOML output, layer files and the error that makes bin/build exit non-zero with a clear cause. */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

/** A failure the user can act on: printed as `<buildpack>: <message>`, exit 1 (the platform reports 51). */
export class BuildpackError extends Error {}

export interface DetectContext { appDir: string; platformDir: string; planPath: string; env: NodeJS.ProcessEnv }
export interface BuildContext { appDir: string; platformDir: string; layersDir: string; planPath: string; env: NodeJS.ProcessEnv; log: (line: string) => void }

/** Detect inputs: env (API ≥ 0.8) first, positional args (deprecated) second. */
export function detectContext(argv: string[], env: NodeJS.ProcessEnv): DetectContext {
  return {
    appDir: process.cwd(),
    platformDir: env.CNB_PLATFORM_DIR ?? argv[0] ?? '/platform',
    planPath: env.CNB_BUILD_PLAN_PATH ?? argv[1] ?? '/dev/null',
    env,
  }
}

export function buildContext(argv: string[], env: NodeJS.ProcessEnv, id: string): BuildContext {
  const layersDir = env.CNB_LAYERS_DIR ?? argv[0]
  if (!layersDir) throw new BuildpackError('no layers directory: CNB_LAYERS_DIR is not set')
  return {
    appDir: process.cwd(),
    platformDir: env.CNB_PLATFORM_DIR ?? argv[1] ?? '/platform',
    layersDir,
    planPath: env.CNB_BP_PLAN_PATH ?? argv[2] ?? '',
    env,
    log: (line) => process.stdout.write(`[${id}] ${line}\n`),
  }
}

/** A TOML value: strings, numbers, booleans, arrays of those, or tables. JSON string escapes are valid TOML. */
export type TomlValue = string | number | boolean | TomlValue[] | { [k: string]: TomlValue }

function scalar(v: TomlValue): string {
  if (Array.isArray(v)) return `[${v.map(scalar).join(', ')}]`
  if (typeof v === 'object') return `{ ${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)} = ${scalar(x)}`).join(', ')} }`
  return typeof v === 'string' ? JSON.stringify(v) : String(v)
}

/** Writes `tables` (name → flat table) and `arrays` (name → array of flat tables) as TOML, keys in the given order. */
export function toml(tables: Record<string, Record<string, TomlValue>>, arrays: Record<string, Record<string, TomlValue>[]> = {}): string {
  let out = ''
  for (const [name, t] of Object.entries(tables)) {
    out += `[${name}]\n`
    for (const [k, v] of Object.entries(t)) out += `${JSON.stringify(k)} = ${scalar(v)}\n`
    out += '\n'
  }
  for (const [name, list] of Object.entries(arrays)) {
    for (const t of list) {
      out += `[[${name}]]\n`
      for (const [k, v] of Object.entries(t)) out += `${JSON.stringify(k)} = ${scalar(v)}\n`
      out += '\n'
    }
  }
  return out
}

/** The `[metadata]` string values of a restored `<layer>.toml` (the lifecycle restores only that table). */
export function readLayerMetadata(layersDir: string, name: string): Record<string, string> {
  const file = join(layersDir, `${name}.toml`)
  if (!existsSync(file)) return {}
  const out: Record<string, string> = {}
  let inMeta = false
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const t = line.trim()
    if (t.startsWith('[')) { inMeta = t === '[metadata]'; continue }
    const m = /^"?([A-Za-z0-9_.-]+)"?\s*=\s*"((?:[^"\\]|\\.)*)"\s*$/.exec(t)
    if (inMeta && m) out[m[1]!] = JSON.parse(`"${m[2]}"`) as string
  }
  return out
}

export interface LayerTypes { launch: boolean; build: boolean; cache: boolean }

/** Writes `<layer>.toml` with types and metadata (string values). */
export function writeLayerToml(layersDir: string, name: string, types: LayerTypes, metadata: Record<string, string>): void {
  writeFileSync(join(layersDir, `${name}.toml`), toml({ types: { ...types }, metadata }))
}

/** An empty layer directory (whatever was restored is removed). */
export function freshLayer(layersDir: string, name: string): string {
  const dir = join(layersDir, name)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  return dir
}

/** Writes an env file `<layer>/<envDir>/<NAME>.<op>`. */
export function writeEnv(layerDir: string, envDir: 'env' | 'env.build' | 'env.launch', file: string, value: string): void {
  const path = join(layerDir, envDir, file)
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, value)
}

/** package.json of the app, or undefined; a malformed one is an error naming the file. */
export function readPackageJson(appDir: string): Record<string, unknown> | undefined {
  const file = join(appDir, 'package.json')
  if (!existsSync(file)) return undefined
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as unknown
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object')
    return v as Record<string, unknown>
  } catch (err) {
    throw new BuildpackError(`package.json is not valid JSON: ${(err as Error).message}`)
  }
}
