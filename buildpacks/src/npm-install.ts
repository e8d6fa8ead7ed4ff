/** npm-install: package-lock.json or npm-shrinkwrap.json → `npm ci` (a package.json with dependencies and no lockfile → `npm install`), with npm itself fetched from the npm registry, into the node_modules launch layer. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { readPackageJson, toml, writeLayerToml, type BuildContext, type DetectContext } from './cnb.js'
import { installDeps, rewriteUrls } from './deps.js'
import { onRegistry, registryConfig } from './registry.js'
import { ensureTool } from './tool.js'
import { scriptsToRun } from './run-scripts.js'

export const ID = 'lading/npm-install'

/** The lockfile npm uses, if any (shrinkwrap wins, as in npm). */
export function npmLockfile(appDir: string): string | undefined {
  return ['npm-shrinkwrap.json', 'package-lock.json'].find((f) => existsSync(join(appDir, f)))
}

/** Work for npm: dependencies, or scripts to run (which may need devDependencies, or nothing installed at all). */
function hasWork(appDir: string, env: NodeJS.ProcessEnv): boolean {
  const deps = readPackageJson(appDir)?.dependencies
  if (deps && typeof deps === 'object' && Object.keys(deps).length > 0) return true
  try {
    return scriptsToRun(appDir, env).scripts.length > 0
  } catch {
    return true // a BP_NODE_RUN_SCRIPTS typo: the build phase names it and fails with 51, detect would only say "error"
  }
}

export function detect(ctx: DetectContext): number {
  if (existsSync(join(ctx.appDir, 'yarn.lock')) || existsSync(join(ctx.appDir, 'pnpm-lock.yaml'))) return 100
  if (!npmLockfile(ctx.appDir) && !hasWork(ctx.appDir, ctx.env)) return 100
  writeFileSync(ctx.planPath, toml({}, {
    provides: [{ name: 'node_modules' }],
    requires: [{ name: 'node', metadata: { build: true, launch: true } }, { name: 'node_modules' }],
  }))
  return 0
}

export async function build(ctx: BuildContext): Promise<void> {
  const reg = registryConfig(ctx.appDir, ctx.env)
  const pm = readPackageJson(ctx.appDir)?.packageManager
  const fromPm = typeof pm === 'string' && pm.startsWith('npm@') ? pm.slice(4).replace(/\+.*$/, '') : undefined
  const range = fromPm ?? ctx.env.BP_NPM_VERSION ?? '10'
  const source = fromPm ? 'packageManager' : ctx.env.BP_NPM_VERSION ? 'BP_NPM_VERSION' : 'default'
  const tool = await ensureTool(ctx, reg, { name: 'npm', pkg: 'npm', range, source, entry: 'bin/npm-cli.js' })
  const cache = join(ctx.layersDir, 'npm-cache')
  mkdirSync(cache, { recursive: true })
  writeLayerToml(ctx.layersDir, 'npm-cache', { launch: false, build: false, cache: true }, { tool: 'npm' })
  const lockfile = npmLockfile(ctx.appDir)
  await installDeps(ctx, reg, {
    who: 'npm-install',
    lockfile: lockfile ?? 'package.json',
    rewrite: (text) => (lockfile ? rewriteUrls(text, (u) => onRegistry(u, reg)) : text),
    tool: { name: 'npm', version: tool.version, bin: tool.bin },
    // Without a build step NODE_ENV (production by default) leaves devDependencies out, as before;
    // with one, the flags say it, whatever NODE_ENV is.
    args: lockfile ? ['ci'] : ['install', '--no-package-lock'],
    allArgs: lockfile ? ['ci', '--include=dev'] : ['install', '--no-package-lock', '--include=dev'],
    prodArgs: lockfile ? ['ci', '--omit=dev'] : ['install', '--no-package-lock', '--omit=dev'],
    pruneArgs: ['prune', '--omit=dev', '--ignore-scripts', ...(lockfile ? [] : ['--no-package-lock'])],
    env: {
      npm_config_cache: cache,
      npm_config_registry: reg.url,
      npm_config_update_notifier: 'false',
      npm_config_fund: 'false',
      npm_config_audit: 'false',
      npm_config_prefer_offline: 'true',
      ...(reg.token ? { NPM_CONFIG__AUTHTOKEN: reg.token } : {}),
    },
    outOfSync: [/can only install packages when your package\.json and package-lock\.json or npm-shrinkwrap\.json are in sync/i, /EUSAGE/],
  })
}
