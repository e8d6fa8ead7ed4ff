/** pnpm-install: when the app has a pnpm-lock.yaml, installs pnpm (packageManager, engines.pnpm, else the release line its lockfile format belongs to) from the npm registry and runs a frozen install into the node_modules launch layer, its store a cache layer. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import semver from 'semver'
import { BuildpackError, readPackageJson, toml, writeLayerToml, type BuildContext, type DetectContext } from './cnb.js'
import { installDeps, rewriteUrls } from './deps.js'
import { onRegistry, registryConfig } from './registry.js'
import { ensureTool, type ToolSpec } from './tool.js'

export const ID = 'lading/pnpm-install'

export function detect(ctx: DetectContext): number {
  if (!existsSync(join(ctx.appDir, 'pnpm-lock.yaml')) || existsSync(join(ctx.appDir, 'yarn.lock'))) return 100
  writeFileSync(ctx.planPath, toml({}, {
    provides: [{ name: 'node_modules' }],
    requires: [{ name: 'node', metadata: { build: true, launch: true } }, { name: 'node_modules' }],
  }))
  return 0
}

/** The pnpm major that writes each lockfile format (pnpm 10 still writes 9.0). */
const LOCKFILE_PNPM: Record<string, string> = { '5': '7', '6': '8', '7': '9', '9': '9' }

/** Which pnpm: packageManager `pnpm@X`, BP_PNPM_VERSION, engines.pnpm, else by lockfileVersion. */
export function pnpmSpec(appDir: string, env: NodeJS.ProcessEnv): ToolSpec {
  const pkg = readPackageJson(appDir)
  const pm = pkg?.packageManager
  const engines = pkg?.engines as Record<string, unknown> | undefined
  const base = { name: 'pnpm', pkg: 'pnpm', entry: 'bin/pnpm.cjs' }
  if (typeof pm === 'string' && pm.startsWith('pnpm@')) return { ...base, range: pm.slice(5).replace(/\+.*$/, ''), source: 'packageManager' }
  if (typeof pm === 'string' && pm) throw new BuildpackError(`package.json packageManager is ${JSON.stringify(pm)} but the app has a pnpm-lock.yaml`)
  if (env.BP_PNPM_VERSION) return { ...base, range: env.BP_PNPM_VERSION, source: 'BP_PNPM_VERSION' }
  if (typeof engines?.pnpm === 'string' && semver.validRange(engines.pnpm)) return { ...base, range: engines.pnpm, source: 'package.json engines.pnpm' }
  const format = /^lockfileVersion:\s*['"]?(\d+)/m.exec(readFileSync(join(appDir, 'pnpm-lock.yaml'), 'utf8'))?.[1] ?? '9'
  return { ...base, range: LOCKFILE_PNPM[format] ?? '9', source: `pnpm-lock.yaml lockfileVersion ${format}` }
}

export async function build(ctx: BuildContext): Promise<void> {
  const reg = registryConfig(ctx.appDir, ctx.env)
  const tool = await ensureTool(ctx, reg, pnpmSpec(ctx.appDir, ctx.env))
  const store = join(ctx.layersDir, 'pnpm-store')
  mkdirSync(store, { recursive: true })
  writeLayerToml(ctx.layersDir, 'pnpm-store', { launch: false, build: false, cache: true }, { tool: 'pnpm' })
  // Copies, not hard links into the store: the store is a cache layer and node_modules a launch
  // layer, exported separately.
  const common = ['--frozen-lockfile', `--store-dir=${store}`, '--package-import-method=copy', '--reporter=append-only']
  const npmrc = existsSync(join(ctx.appDir, '.npmrc')) ? readFileSync(join(ctx.appDir, '.npmrc'), 'utf8') : ''
  if (/^\s*node-linker\s*=\s*pnp\s*$/m.test(npmrc)) {
    // Plug'n'Play would need pnpm's loader at run time; the usual layout runs with plain node.
    ctx.log('.npmrc asks for node-linker=pnp; installing with node-linker=isolated so the app runs with plain node')
    common.push('--config.node-linker=isolated', '--config.symlink=true')
  }
  await installDeps(ctx, reg, {
    who: 'pnpm-install',
    lockfile: 'pnpm-lock.yaml',
    rewrite: (text) => rewriteUrls(text, (u) => onRegistry(u, reg)),
    tool: { name: 'pnpm', version: tool.version, bin: tool.bin },
    args: ['install', ...common],
    allArgs: ['install', ...common, '--prod=false'],
    prodArgs: ['install', ...common, '--prod'],
    // prune takes the store, the linker and ignore-scripts (pnpm 7 has no such flag) only as --config.* settings.
    pruneArgs: ['prune', '--prod', '--reporter=append-only', '--config.ignore-scripts=true', `--config.store-dir=${store}`, ...common.filter((a) => a.startsWith('--config.'))],
    env: {
      npm_config_registry: reg.url,
      npm_config_update_notifier: 'false',
      COREPACK_ENABLE_STRICT: '0',
      ...(reg.token ? { NPM_CONFIG__AUTHTOKEN: reg.token } : {}),
    },
    outOfSync: [/ERR_PNPM_OUTDATED_LOCKFILE/, /ERR_PNPM_LOCKFILE_CONFIG_MISMATCH/],
  })
}
