/** Installs node_modules with a package manager into a launch layer keyed by lockfile hash, dependency fields, Node major and tool version, reused untouched while the key holds; the tool's cache is a cache layer; lockfile URLs on other registry hosts are moved onto the configured registry. */
import { execFileSync, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BuildpackError, freshLayer, readLayerMetadata, readPackageJson, writeLayerToml, type BuildContext } from './cnb.js'
import type { RegistryConfig } from './registry.js'

export interface InstallSpec {
  /** Buildpack name for messages, e.g. `yarn-install`. */
  who: string
  lockfile: string
  /** Rewrites lockfile text for the configured registry (identity when nothing to move). */
  rewrite: (text: string) => string
  tool: { name: string; version: string; bin: string }
  /** argv after the tool name. */
  args: string[]
  /** Extra env for the install (cache folder, registry). */
  env: Record<string, string>
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
  const key = installKey(ctx.appDir, spec.lockfile, major, `${spec.tool.name}@${spec.tool.version}`)
  const layer = join(ctx.layersDir, 'node_modules')
  const appModules = join(ctx.appDir, 'node_modules')
  const metadata = { key, lockfile: spec.lockfile, 'node-major': major, [spec.tool.name]: spec.tool.version }
  const types = { launch: true, build: false, cache: false }
  const old = readLayerMetadata(ctx.layersDir, 'node_modules')
  if (old.key === key) {
    ctx.log(`reusing node_modules: ${spec.lockfile}, Node ${major} and ${spec.tool.name} ${spec.tool.version} are unchanged`)
    linkModules(appModules, layer)
    writeLayerToml(ctx.layersDir, 'node_modules', types, metadata)
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
    const env: NodeJS.ProcessEnv = { ...ctx.env, ...spec.env, HOME: home, PATH: `${spec.tool.bin}:${ctx.env.PATH ?? '/usr/bin:/bin'}` }
    if (reg.ca) {
      // Node-based tools add these to their built-in CAs; npm's `ca` setting would replace them instead.
      writeFileSync(join(home, 'npm-ca.pem'), reg.ca)
      env.NODE_EXTRA_CA_CERTS = join(home, 'npm-ca.pem')
      delete env.NPM_CONFIG_CA
      delete env.npm_config_ca
    }
    ctx.log(`${spec.tool.name} ${spec.args.join(' ')}`)
    const res = spawnSync(join(spec.tool.bin, spec.tool.name), spec.args, { cwd: ctx.appDir, env, encoding: 'utf8', maxBuffer: 256 << 20 })
    const output = `${res.stdout ?? ''}${res.stderr ?? ''}`
    process.stdout.write(output)
    if (res.status !== 0) {
      if (spec.outOfSync.some((re) => re.test(output))) {
        throw new BuildpackError(`${spec.lockfile} is out of sync with package.json (${spec.tool.name} ${spec.args.join(' ')} refused to change it); run ${spec.tool.name} install and commit ${spec.lockfile}`)
      }
      const tail = output.trim().split('\n').slice(-8).join('\n  ')
      throw new BuildpackError(`${spec.tool.name} ${spec.args.join(' ')} failed (${res.error ? res.error.message : `exit ${res.status}`}):\n  ${tail}`)
    }
  } finally {
    if (original !== undefined && moved !== original) writeFileSync(lockPath, original)
    rmSync(home, { recursive: true, force: true })
  }
  // The layer directory IS node_modules (not a node_modules inside it): Node resolves a package's
  // dependencies from its real path, and never looks in a `node_modules/node_modules`.
  const dir = freshLayer(ctx.layersDir, 'node_modules')
  if (existsSync(appModules)) {
    rmSync(dir, { recursive: true, force: true })
    execFileSync('mv', [appModules, dir])
  }
  for (const special of ['env', 'env.build', 'env.launch', 'exec.d', 'profile.d']) {
    if (existsSync(join(dir, special))) ctx.log(`warning: a package named ${special} in node_modules is also read by the platform as the layer's ${special}/`)
  }
  linkModules(appModules, dir)
  writeLayerToml(ctx.layersDir, 'node_modules', types, metadata)
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
