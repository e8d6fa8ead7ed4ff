/** yarn-install: when the app has a yarn.lock, installs yarn (classic or berry, as packageManager says) from the npm registry and runs a frozen/immutable install into the node_modules launch layer. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { BuildpackError, readPackageJson, toml, writeLayerToml, type BuildContext, type DetectContext } from './cnb.js'
import { installDeps, rewriteUrls } from './deps.js'
import { onRegistry, registryConfig } from './registry.js'
import { ensureTool, type ToolSpec } from './tool.js'

export const ID = 'lading/yarn-install'

export function detect(ctx: DetectContext): number {
  if (!existsSync(join(ctx.appDir, 'yarn.lock'))) return 100
  writeFileSync(ctx.planPath, toml({}, {
    provides: [{ name: 'node_modules' }],
    requires: [{ name: 'node', metadata: { build: true, launch: true } }, { name: 'node_modules' }],
  }))
  return 0
}

/** Which yarn: packageManager `yarn@X` (berry when X ≥ 2), BP_YARN_VERSION, a berry lockfile, else classic 1.x. */
export function yarnSpec(appDir: string, env: NodeJS.ProcessEnv): ToolSpec & { berry: boolean } {
  const pm = readPackageJson(appDir)?.packageManager
  let range = '1'
  let source = 'default (classic)'
  if (typeof pm === 'string' && pm.startsWith('yarn@')) { range = pm.slice(5).replace(/\+.*$/, ''); source = 'packageManager' }
  else if (typeof pm === 'string' && pm) throw new BuildpackError(`package.json packageManager is ${JSON.stringify(pm)} but the app has a yarn.lock`)
  else if (env.BP_YARN_VERSION) { range = env.BP_YARN_VERSION; source = 'BP_YARN_VERSION' }
  else if (readFileSync(join(appDir, 'yarn.lock'), 'utf8').includes('__metadata:')) { range = '4'; source = 'yarn.lock format (berry)' }
  const major = Number(/\d+/.exec(range)?.[0] ?? '1')
  const berry = major >= 2
  return berry
    ? { name: 'yarn', pkg: '@yarnpkg/cli-dist', range, source, entry: 'bin/yarn.js', berry }
    : { name: 'yarn', pkg: 'yarn', range, source, entry: 'bin/yarn.js', berry }
}

export async function build(ctx: BuildContext): Promise<void> {
  const reg = registryConfig(ctx.appDir, ctx.env)
  const spec = yarnSpec(ctx.appDir, ctx.env)
  const tool = await ensureTool(ctx, reg, spec)
  const cache = join(ctx.layersDir, 'yarn-cache')
  mkdirSync(cache, { recursive: true })
  writeLayerToml(ctx.layersDir, 'yarn-cache', { launch: false, build: false, cache: true }, { kind: spec.berry ? 'berry' : 'classic' })
  const env: Record<string, string> = {
    YARN_CACHE_FOLDER: cache,
    npm_config_registry: reg.url,
    YARN_REGISTRY: reg.url,
    YARN_NPM_REGISTRY_SERVER: reg.url.replace(/\/$/, ''),
    YARN_ENABLE_GLOBAL_CACHE: 'false',
    YARN_ENABLE_TELEMETRY: '0',
    YARN_IGNORE_PATH: '1',
    YARN_ENABLE_PROGRESS_BARS: 'false',
    YARN_DISABLE_SELF_UPDATE_CHECK: 'true',
  }
  if (spec.berry && !/^\s*nodeLinker\s*:/m.test(readIf(join(ctx.appDir, '.yarnrc.yml')))) env.YARN_NODE_LINKER = 'node-modules'
  if (reg.token) env.YARN_NPM_AUTH_TOKEN = reg.token
  await installDeps(ctx, reg, {
    who: 'yarn-install',
    lockfile: 'yarn.lock',
    rewrite: (text) => rewriteUrls(text, (u) => onRegistry(u, reg)),
    tool: { name: 'yarn', version: tool.version, bin: tool.bin },
    args: spec.berry ? ['install', '--immutable'] : ['install', '--frozen-lockfile', '--non-interactive', '--no-progress'],
    env,
    outOfSync: [/lockfile needs to be updated/i, /YN0028/, /lockfile would have been modified/i],
  })
}

function readIf(p: string): string {
  return existsSync(p) ? readFileSync(p, 'utf8') : ''
}
