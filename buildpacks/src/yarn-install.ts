/** yarn-install: when the app has a yarn.lock, installs yarn (classic or berry, as packageManager says) from the npm registry and runs a frozen/immutable install into the node_modules launch layer. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import semver from 'semver'
import { BuildpackError, readPackageJson, toml, writeLayerToml, type BuildContext, type DetectContext } from './cnb.js'
import { installDeps, rewriteUrls } from './deps.js'
import { onRegistry, registryConfig } from './registry.js'
import { ensureTool, type ToolSpec } from './tool.js'
import { ensureFocusPlugin, homeRc } from './yarn-plugin.js'

export const ID = 'lading/yarn-install'

export function detect(ctx: DetectContext): number {
  if (!existsSync(join(ctx.appDir, 'yarn.lock'))) return 100
  writeFileSync(ctx.planPath, toml({}, {
    provides: [{ name: 'node_modules' }],
    requires: [{ name: 'node', metadata: { build: true, launch: true } }, { name: 'node_modules' }],
  }))
  return 0
}

/**
 * Which yarn: packageManager `yarn@X` (berry when X ≥ 2), BP_YARN_VERSION, the release the
 * project commits for itself (`yarnPath` in .yarnrc.yml, `yarn-path` in .yarnrc: the habit before
 * Corepack), engines.yarn (heroku's habit), the major a berry lockfile's format belongs to, else
 * classic 1.x. The version is always fetched from the npm registry, never run from the project.
 */
export function yarnSpec(appDir: string, env: NodeJS.ProcessEnv): ToolSpec & { berry: boolean } {
  const pkg = readPackageJson(appDir)
  const pm = pkg?.packageManager
  const committed = committedRelease(appDir)
  const engines = pkg?.engines as Record<string, unknown> | undefined
  let range = '1'
  let source = 'default (classic)'
  if (typeof pm === 'string' && pm.startsWith('yarn@')) { range = pm.slice(5).replace(/\+.*$/, ''); source = 'packageManager' }
  else if (typeof pm === 'string' && pm) throw new BuildpackError(`package.json packageManager is ${JSON.stringify(pm)} but the app has a yarn.lock`)
  else if (env.BP_YARN_VERSION) { range = env.BP_YARN_VERSION; source = 'BP_YARN_VERSION' }
  else if (committed) { range = committed.version; source = committed.source }
  else if (typeof engines?.yarn === 'string' && semver.validRange(engines.yarn)) { range = engines.yarn; source = 'package.json engines.yarn' }
  else {
    const lock = readFileSync(join(appDir, 'yarn.lock'), 'utf8')
    if (lock.includes('__metadata:')) {
      const v = /^__metadata:\s*\n(?:[ \t]+.*\n)*?[ \t]+version:\s*["']?(\d+)/m.exec(lock)?.[1]
      range = berryForLockfile(v === undefined ? undefined : Number(v))
      source = `yarn.lock format (berry${v === undefined ? '' : `, lockfile version ${v}`})`
    }
  }
  const valid = semver.validRange(range)
  const major = valid ? semver.minVersion(valid)?.major ?? 1 : Number(/\d+/.exec(range)?.[0] ?? '1')
  const berry = major >= 2
  return berry
    ? { name: 'yarn', pkg: '@yarnpkg/cli-dist', range, source, entry: 'bin/yarn.js', berry }
    : { name: 'yarn', pkg: 'yarn', range, source, entry: 'bin/yarn.js', berry }
}

/** The yarn release a project commits and points to: `.yarn/releases/yarn-X.Y.Z.cjs` names X.Y.Z. */
export function committedRelease(appDir: string): { version: string; source: string } | undefined {
  const berry = /^\s*yarnPath\s*:\s*["']?([^\s"'#]+)/m.exec(readIf(join(appDir, '.yarnrc.yml')))?.[1]
  const classic = /^\s*yarn-path\s+["']?([^\s"'#]+)/m.exec(readIf(join(appDir, '.yarnrc')))?.[1]
  for (const [path, file] of [[berry, '.yarnrc.yml yarnPath'], [classic, '.yarnrc yarn-path']] as const) {
    const version = path && /yarn-(\d+\.\d+\.\d+(?:-[\w.]+)?)\.c?js$/.exec(path)?.[1]
    if (version && semver.valid(version)) return { version, source: `${file} ${path}` }
  }
  return undefined
}

/**
 * The yarn line a berry lockfile format belongs to: Yarn 4 rewrites an older lockfile, which an
 * immutable install refuses (YN0028), so a Yarn 3 project must get Yarn 3. Formats 4: Yarn 2;
 * 5: Yarn 3.0 and 3.1; 6: Yarn 3.2 and later 3.x; 7 and 8: Yarn 4.
 */
export function berryForLockfile(version: number | undefined): string {
  if (version === undefined || version >= 7) return '4'
  if (version <= 4) return '2'
  return version === 5 ? '>=3.0.0 <3.2.0' : '3'
}

export async function build(ctx: BuildContext): Promise<void> {
  const reg = registryConfig(ctx.appDir, ctx.env)
  const spec = yarnSpec(ctx.appDir, ctx.env)
  const tool = await ensureTool(ctx, reg, spec)
  const cache = join(ctx.layersDir, 'yarn-cache')
  mkdirSync(cache, { recursive: true })
  writeLayerToml(ctx.layersDir, 'yarn-cache', { launch: false, build: false, cache: true }, { kind: spec.berry ? 'berry' : 'classic' })
  // Berry refuses to start on any YARN_* variable it does not know ("Unrecognized or legacy
  // configuration settings"): the classic-only ones go to classic alone.
  const env: Record<string, string> = {
    YARN_CACHE_FOLDER: cache,
    npm_config_registry: reg.url,
    YARN_NPM_REGISTRY_SERVER: reg.url.replace(/\/$/, ''),
    YARN_ENABLE_GLOBAL_CACHE: 'false',
    YARN_ENABLE_TELEMETRY: '0',
    YARN_IGNORE_PATH: '1',
    YARN_ENABLE_PROGRESS_BARS: 'false',
    ...(spec.berry ? {} : { YARN_REGISTRY: reg.url, YARN_DISABLE_SELF_UPDATE_CHECK: 'true' }),
  }
  if (spec.berry) {
    const linker = /^\s*nodeLinker\s*:\s*["']?([\w-]+)/m.exec(readIf(join(ctx.appDir, '.yarnrc.yml')))?.[1]
    // Plug'n'Play keeps packages in Yarn's cache and needs Yarn's loader at run time; node_modules
    // in a launch layer makes the image start with plain `node`, as for every other app.
    if (linker === 'pnp') ctx.log('.yarnrc.yml asks for nodeLinker: pnp; installing with nodeLinker: node-modules so the app runs with plain node')
    if (!linker || linker === 'pnp') env.YARN_NODE_LINKER = 'node-modules'
  }
  if (reg.token) env.YARN_NPM_AUTH_TOKEN = reg.token
  const major = Number(tool.version.split('.')[0])
  // Yarn 4 has `workspaces focus` built in; Yarn 2 and 3 get it as a plugin (yarn-plugin.ts).
  const plugin = spec.berry && (major === 2 || major === 3) ? await ensureFocusPlugin(ctx, reg, tool.version, join(tool.bin, '..')) : undefined
  // Yarn 3 loads the plugins its home rc file names. Yarn 2 reads that file for settings only; it
  // loads plugins from the project's rc files and from YARN_PLUGINS (paths, `;` between them).
  // Either way the app's own files stay as they are.
  if (plugin && major === 2) env.YARN_PLUGINS = plugin
  await installDeps(ctx, reg, {
    who: 'yarn-install',
    lockfile: 'yarn.lock',
    rewrite: (text) => rewriteUrls(text, (u) => onRegistry(u, reg)),
    tool: { name: 'yarn', version: tool.version, bin: tool.bin },
    ...yarnArgs(spec.berry, tool.version, Boolean(plugin)),
    ...(plugin && major === 3 ? { homeFiles: { '.yarnrc.yml': homeRc(plugin) } } : {}),
    // Berry's `yarn run` refuses to work in a project without its install state.
    ...(spec.berry ? { state: ['.yarn/install-state.gz'] } : {}),
    env,
    outOfSync: [/lockfile needs to be updated/i, /YN0028/, /lockfile would have been modified/i],
  })
}

/**
 * The installs. Classic: `--production=false` / `--production` override NODE_ENV. Berry installs
 * everything whatever NODE_ENV says; `workspaces focus --all --production` installs production
 * dependencies only, for the launch layer with or without a build step: built into Yarn 4, a
 * plugin for Yarn 2 and 3 (`focusPlugin`: yarn-plugin.ts made one). Without one (a Yarn 2 older
 * than 2.4, which no plugin release takes) the launch layer keeps them all.
 */
export function yarnArgs(berry: boolean, version: string, focusPlugin = false): { args: string[]; allArgs: string[]; prodArgs: string[]; launchArgs?: string[] } {
  if (berry) {
    const args = ['install', '--immutable']
    const focus = Number(version.split('.')[0]) >= 4 || focusPlugin
    const prod = ['workspaces', 'focus', '--all', '--production']
    return focus ? { args, allArgs: args, prodArgs: prod, launchArgs: prod } : { args, allArgs: args, prodArgs: args }
  }
  const args = ['install', '--frozen-lockfile', '--non-interactive', '--no-progress']
  return { args, allArgs: [...args, '--production=false'], prodArgs: [...args, '--production'] }
}

function readIf(p: string): string {
  return existsSync(p) ? readFileSync(p, 'utf8') : ''
}
