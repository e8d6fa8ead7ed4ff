/** Installs node_modules with a package manager into a launch layer keyed by lockfile hash, dependency fields, Node major and tool version, reused untouched while the key holds; with a build step, all dependencies go to a cache-only build layer first and the launch layer gets production ones; lockfile URLs on other registry hosts are moved onto the configured registry. */
import { execFileSync, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, isAbsolute, join, resolve } from 'node:path'
import { BuildpackError, freshLayer, readLayerMetadata, readPackageJson, writeLayerToml, type BuildContext, type LayerTypes } from './cnb.js'
import { runScripts, scriptsToRun } from './run-scripts.js'
import { needsShims, shimsCurrent, writeShims } from './bin-shims.js'
import { scriptsOf } from './commands.js'
import type { RegistryConfig } from './registry.js'

export interface InstallSpec {
  /** Buildpack name for messages, e.g. `yarn-install`. */
  who: string
  lockfile: string
  /** Rewrites lockfile text for the configured registry (identity when nothing to move). */
  rewrite: (text: string) => string
  tool: { name: string; version: string; bin: string }
  /** argv after the tool name: the install when the app has no build step (NODE_ENV decides dev dependencies). */
  args: string[]
  /** The install with devDependencies, for the build step's layer. */
  allArgs: string[]
  /** The production-only install for the launch layer after a build step. */
  prodArgs: string[]
  /**
   * The launch layer's install with no build step when NODE_ENV is production, where the tool
   * does not leave devDependencies out by NODE_ENV alone (Yarn Berry: `workspaces focus`).
   */
  launchArgs?: string[]
  /** Files written into the tool's HOME for every run (Yarn 3's ~/.yarnrc.yml naming a plugin). */
  homeFiles?: Record<string, string>
  /**
   * Removes devDependencies from an installed node_modules, running no script. Where the tool runs
   * the app's own `prepare` script on a production install (npm, pnpm), that script usually needs a
   * devDependency (`husky install`) and fails without it: such apps get every dependency, then this.
   */
  pruneArgs?: string[]
  /** Extra env for the install (cache folder, registry). */
  env: Record<string, string>
  /** Files in the app the tool needs after its install to run scripts (Berry's install state), kept with the build layer. */
  state?: string[]
  /** Output patterns meaning "the lockfile does not match package.json". */
  outOfSync: RegExp[]
}

/** The fields of package.json that change what gets installed. */
function depsFields(appDir: string): string {
  const p = readPackageJson(appDir) ?? {}
  const keys = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies', 'resolutions', 'overrides', 'workspaces', 'packageManager']
  return JSON.stringify(keys.map((k) => p[k] ?? null))
}

function nodeMajor(env: NodeJS.ProcessEnv): string {
  const v = execFileSync('node', ['-v'], { encoding: 'utf8', env }).trim()
  return v.replace(/^v/, '').split('.')[0]!
}

/** The install key: what must change for node_modules to be rebuilt. */
export function installKey(appDir: string, lockfile: string, major: string, tool: string): string {
  const h = createHash('sha256')
  h.update(existsSync(join(appDir, lockfile)) ? readFileSync(join(appDir, lockfile)) : Buffer.alloc(0))
  h.update('\0')
  h.update(depsFields(appDir))
  return `sha256:${h.digest("hex")} node${major} ${tool} layout2`
}

export async function installDeps(ctx: BuildContext, reg: RegistryConfig, spec: InstallSpec): Promise<void> {
  const major = nodeMajor(ctx.env)
  // NODE_ENV decides whether devDependencies are installed; production (node-engine's default)
  // leaves the key as it always was, anything else is part of it.
  const nodeEnv = ctx.env.NODE_ENV && ctx.env.NODE_ENV !== 'production' ? ` NODE_ENV=${ctx.env.NODE_ENV}` : ''
  const key = installKey(ctx.appDir, spec.lockfile, major, `${spec.tool.name}@${spec.tool.version}`) + nodeEnv
  const plan = scriptsToRun(ctx.appDir, ctx.env)
  const launch = { launch: true, build: false, cache: false }
  if (plan.scripts.length === 0) {
    // No build step: the one install is the launch layer, exactly as before build scripts existed;
    // a build layer left from builds that had one would only be carried along in the cache.
    for (const f of ['build-modules', 'build-modules.toml']) rmSync(join(ctx.layersDir, f), { recursive: true, force: true })
    const production = !ctx.env.NODE_ENV || ctx.env.NODE_ENV === 'production'
    const args = production && spec.launchArgs ? spec.launchArgs : spec.args
    // A layer installed with devDependencies (before the tool could leave them out) is not reused.
    const launchKey = args === spec.args ? key : `${key} production`
    launchInstall(ctx, reg, spec, { layer: 'node_modules', types: launch, key: launchKey, major, ...productionInstall(ctx, spec, args, production) })
    return
  }
  // Paketo's way: every dependency (devDependencies too) in a cache-only layer for the build step,
  // then the launch layer installed with production dependencies only, each reused by its key.
  installLayer(ctx, reg, spec, { layer: 'build-modules', sub: 'node_modules', types: { launch: false, build: false, cache: true }, key: `${key} all`, major, args: spec.allArgs })
  const home = mkdtempSync(join(tmpdir(), `${spec.who}-scripts-`))
  try {
    runScripts(ctx, plan, { name: spec.tool.name, bin: spec.tool.bin, env: toolEnv(ctx, reg, spec, home) })
  } finally {
    rmSync(home, { recursive: true, force: true })
  }
  // NODE_ENV=development asks for devDependencies at run time too (Paketo's advice for dev servers).
  const prodArgs = ctx.env.NODE_ENV === 'development' ? spec.args : spec.prodArgs
  // A launch layer made without the production flags (before the app had a build step) is not reused.
  const launchKey = prodArgs === spec.args ? key : `${key} production`
  launchInstall(ctx, reg, spec, { layer: 'node_modules', types: launch, key: launchKey, major, ...productionInstall(ctx, spec, prodArgs, prodArgs === spec.prodArgs) })
}

/** `args` as they are, or, for a production install of an app with a `prepare` script and a tool that can prune, every dependency and then the prune. */
export function productionInstall(ctx: BuildContext, spec: InstallSpec, args: string[], production: boolean): { args: string[]; prune?: string[] } {
  const prepare = scriptsOf(readPackageJson(ctx.appDir)).prepare
  if (!production || !spec.pruneArgs || typeof prepare !== 'string') return { args }
  ctx.log(`package.json has a prepare script (${prepare}), which ${spec.tool.name} runs on install: installing devDependencies for it, then ${spec.tool.name} ${spec.pruneArgs.join(' ')}`)
  return { args: spec.allArgs, prune: spec.pruneArgs }
}

/** The node_modules launch layer, plus command shims when a shell start script may call them (bin-shims.ts). */
function launchInstall(ctx: BuildContext, reg: RegistryConfig, spec: InstallSpec, li: LayerInstall): void {
  if (!needsShims(ctx.appDir)) {
    installLayer(ctx, reg, spec, li)
    return
  }
  // The shims are listed from node_modules/.bin, which a reused layer does not have at build time.
  installLayer(ctx, reg, spec, { ...li, fresh: !shimsCurrent(ctx, li.key) })
  writeShims(ctx, join(ctx.layersDir, li.layer), li.key)
}

/**
 * Node (and tsc) look for a package's dependencies in the `node_modules` directories above its real
 * path, so the modules must sit in a directory named node_modules: the launch layer `node_modules`
 * IS that directory (`sub` unset, as the demo's layer always was); any other layer holds one (`sub`).
 */
interface LayerInstall { layer: string; sub?: 'node_modules'; types: LayerTypes; key: string; major: string; args: string[]; prune?: string[]; fresh?: boolean }

function toolEnv(ctx: BuildContext, reg: RegistryConfig, spec: InstallSpec, home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...ctx.env, ...spec.env, HOME: home, PATH: `${spec.tool.bin}:${ctx.env.PATH ?? '/usr/bin:/bin'}` }
  for (const [name, text] of Object.entries(spec.homeFiles ?? {})) writeFileSync(join(home, name), text)
  if (reg.ca) {
    // Node-based tools add these to their built-in CAs; npm's `ca` setting would replace them instead.
    writeFileSync(join(home, 'npm-ca.pem'), reg.ca)
    env.NODE_EXTRA_CA_CERTS = join(home, 'npm-ca.pem')
    delete env.NPM_CONFIG_CA
    delete env.npm_config_ca
  }
  return env
}

/** One install into layer `li.layer` (see LayerInstall for where node_modules goes), or its reuse while the key holds; app/node_modules links to it after. */
function installLayer(ctx: BuildContext, reg: RegistryConfig, spec: InstallSpec, li: LayerInstall): void {
  const layer = join(ctx.layersDir, li.layer)
  const appModules = join(ctx.appDir, 'node_modules')
  const metadata = { key: li.key, lockfile: spec.lockfile, 'node-major': li.major, [spec.tool.name]: spec.tool.version }
  const old = readLayerMetadata(ctx.layersDir, li.layer)
  // A launch-only layer comes back as metadata alone; a cache layer must come back with its files.
  if (!li.fresh && old.key === li.key && (li.types.launch || existsSync(layer))) {
    ctx.log(`reusing ${li.layer}: ${spec.lockfile}, Node ${li.major} and ${spec.tool.name} ${spec.tool.version} are unchanged`)
    linkModules(appModules, join(layer, li.sub ?? ''))
    if (li.sub) for (const f of spec.state ?? []) copyIf(join(layer, 'state', basename(f)), join(ctx.appDir, f))
    writeLayerToml(ctx.layersDir, li.layer, li.types, metadata)
    return
  }
  const lockPath = join(ctx.appDir, spec.lockfile)
  const original = existsSync(lockPath) ? readFileSync(lockPath, 'utf8') : undefined
  const moved = original === undefined ? original : spec.rewrite(original)
  if (moved !== undefined && moved !== original) {
    ctx.log(`${spec.lockfile}: package URLs moved onto ${reg.url}`)
    writeFileSync(lockPath, moved)
  }
  const home = mkdtempSync(join(tmpdir(), `${spec.who}-home-`))
  try {
    if (existsSync(appModules) || isLink(appModules)) rmSync(appModules, { recursive: true, force: true })
    const env = toolEnv(ctx, reg, spec, home)
    for (const args of [li.args, ...(li.prune ? [li.prune] : [])]) {
      ctx.log(`${spec.tool.name} ${args.join(' ')}`)
      const res = spawnSync(join(spec.tool.bin, spec.tool.name), args, { cwd: ctx.appDir, env, encoding: 'utf8', maxBuffer: 256 << 20 })
      const output = `${res.stdout ?? ''}${res.stderr ?? ''}`
      process.stdout.write(output)
      if (res.status === 0) continue
      if (spec.outOfSync.some((re) => re.test(output))) {
        throw new BuildpackError(`${spec.lockfile} is out of sync with package.json (${spec.tool.name} ${args.join(' ')} refused to change it); run ${spec.tool.name} install and commit ${spec.lockfile}`)
      }
      const tail = output.trim().split('\n').slice(-8).join('\n  ')
      throw new BuildpackError(`${spec.tool.name} ${args.join(' ')} failed (${res.error ? res.error.message : `exit ${res.status}`}):\n  ${tail}`)
    }
  } finally {
    if (original !== undefined && moved !== original) writeFileSync(lockPath, original)
    rmSync(home, { recursive: true, force: true })
  }
  if (existsSync(appModules)) pinOutsideLinks(appModules)
  const fresh = freshLayer(ctx.layersDir, li.layer)
  const dir = join(ctx.layersDir, li.layer, li.sub ?? '')
  if (existsSync(appModules)) {
    rmSync(dir, { recursive: true, force: true })
    execFileSync('mv', [appModules, dir])
  }
  for (const special of ['env', 'env.build', 'env.launch', 'exec.d', 'profile.d']) {
    if (!li.sub && existsSync(join(fresh, special))) ctx.log(`warning: a package named ${special} in node_modules is also read by the platform as the layer's ${special}/`)
  }
  linkModules(appModules, dir)
  if (li.sub) for (const f of spec.state ?? []) copyIf(join(ctx.appDir, f), join(fresh, 'state', basename(f)))
  writeLayerToml(ctx.layersDir, li.layer, li.types, metadata)
}

function copyIf(from: string, to: string): void {
  if (!existsSync(from)) return
  mkdirSync(dirname(to), { recursive: true })
  copyFileSync(from, to)
}

/**
 * npm links `file:` dependencies and workspaces as relative symlinks (`server -> ../lib/server`);
 * moved into the layer they would point beside it. Links leaving node_modules are made absolute,
 * into the app directory, which has the same path at build and at run time.
 */
export function pinOutsideLinks(modules: string): void {
  const entries = readdirSync(modules).flatMap((n) => n.startsWith('@') && !isLink(join(modules, n)) ? readdirSync(join(modules, n)).map((m) => join(n, m)) : [n])
  for (const name of entries) {
    const link = join(modules, name)
    if (!isLink(link)) continue
    const to = readlinkSync(link)
    if (isAbsolute(to)) continue
    const target = resolve(dirname(link), to)
    if (target.startsWith(`${modules}/`)) continue
    rmSync(link)
    symlinkSync(target, link)
  }
}

function isLink(p: string): boolean {
  try { return lstatSync(p).isSymbolicLink() } catch { return false }
}

/** The app's node_modules points into the layer, where it is at run time too. */
function linkModules(appModules: string, target: string): void {
  if (existsSync(appModules) || isLink(appModules)) rmSync(appModules, { recursive: true, force: true })
  symlinkSync(target, appModules)
}

/** Moves `resolved` tarball URLs that name another host onto the configured registry. */
export function rewriteUrls(text: string, move: (url: string) => string): string {
  return text.replace(/https?:\/\/[^\s"'#]+\.tgz/g, (url) => move(url))
}
