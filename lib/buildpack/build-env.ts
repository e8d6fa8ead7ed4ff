// The environment each bin/detect and bin/build gets: allow-listed vars, platform env, earlier layers' env.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { applyEnvDir, applyEnvOp, applyRootDirs, Env, listFiles, type PathMapper } from './env-files.js'
import { readLayersDir } from './layer-metadata.js'

/** Path-list variables: `<platform>/env` prepends to these instead of replacing them. */
export const POSIX_PATH_VARS: readonly string[] = ['PATH', 'LD_LIBRARY_PATH', 'LIBRARY_PATH', 'CPATH', 'PKG_CONFIG_PATH']

/** Variables of the caller's environment that reach buildpacks (the lifecycle's allow-list). */
export const BUILD_ENV_ALLOWLIST: readonly string[] = [
  'HOME', 'HOSTNAME', 'CNB_STACK_ID',
  'HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy',
  ...POSIX_PATH_VARS,
]

/** Returns the starting build env: only the allow-listed variables of `baseEnv`, in allow-list order. */
export function initialBuildEnv(baseEnv: Readonly<Record<string, string | undefined>>): Env {
  const env = new Env()
  for (const k of BUILD_ENV_ALLOWLIST) {
    const v = baseEnv[k]
    if (v !== undefined) env.set(k, v)
  }
  return env
}

/**
 * After buildpack N's bin/build: for each of its layers with build=true that has a directory, in
 * ascending name order, applies the root dirs, then `env/`, then `env.build/` (no suffix =
 * override) to `env` in place. Every layer prepends, so later layer names end up first ([impl]).
 */
export async function accumulateBuildLayers(env: Env, bpLayersDir: string, toContainer?: PathMapper): Promise<void> {
  for (const layer of await readLayersDir(bpLayersDir)) {
    if (!layer.types.build || !layer.hasDir) continue
    await applyRootDirs(env, layer.dir, 'build', toContainer)
    await applyEnvDir(env, join(layer.dir, 'env'), { defaultSuffix: 'override' })
    await applyEnvDir(env, join(layer.dir, 'env.build'), { defaultSuffix: 'override' })
  }
}

async function platformEnvFiles(dir: string): Promise<[string, string][]> {
  // Only regular files are variables: a dangling symlink or a subdirectory is not.
  const out: [string, string][] = []
  for (const n of await listFiles(dir)) out.push([n, await readFile(join(dir, n), 'utf8')])
  return out
}

/** Inputs of buildEnvForBuildpack. */
export interface BuildEnvOptions {
  /** The accumulated env (initialBuildEnv + earlier buildpacks' build layers); not modified. */
  env: Env
  /** Host path of `<platform>`; its `env/` holds the user's variables. */
  platformDir: string
  /** Host path of `<build-config>` (operator variables in `env/`); omitted → none. */
  buildConfigDir?: string
  /** The buildpack's `clear-env`: when true `<platform>/env` is not applied. */
  clearEnv: boolean
  /** The CNB_* variables for this invocation, applied last. */
  cnbVars: Readonly<Record<string, string>>
}

/**
 * Returns the environment for one bin/detect or bin/build (cnb-spec.md §3.1): the accumulated env,
 * then `<platform>/env/<NAME>` unless clearEnv (path variables prepended with ':', others replaced,
 * file names taken whole), then `<build-config>/env` (no suffix = default), then `cnbVars`.
 */
export async function buildEnvForBuildpack(o: BuildEnvOptions): Promise<Record<string, string>> {
  const env = o.env.clone()
  if (!o.clearEnv) {
    for (const [name, value] of await platformEnvFiles(join(o.platformDir, 'env'))) {
      if (POSIX_PATH_VARS.includes(name)) applyEnvOp(env, { op: 'prepend', name, value, delim: ':' })
      else env.set(name, value)
    }
  }
  if (o.buildConfigDir) await applyEnvDir(env, join(o.buildConfigDir, 'env'), { defaultSuffix: 'default' })
  for (const [k, v] of Object.entries(o.cnbVars)) env.set(k, v)
  return env.toRecord()
}
