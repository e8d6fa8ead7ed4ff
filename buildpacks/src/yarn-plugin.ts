/** yarn-install's `workspaces focus` for Yarn 2 and 3: made from the npm registry's @yarnpkg/plugin-workspace-tools, since Yarn's own `plugin import` fetches it from GitHub. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import semver from 'semver'
import type { BuildContext } from './cnb.js'
import { download, extractTarball, onRegistry, packument, type RegistryConfig } from './registry.js'

export const WORKSPACE_TOOLS = '@yarnpkg/plugin-workspace-tools'

/**
 * What a plugin's code may require, by Yarn major: Yarn hands its plugins these (and more that
 * focus does not use) and Node's built-ins, nothing else. Read off Yarn 2.4.2's and 3.6.4's
 * bundles (getDynamicLibs).
 */
const YARN_PROVIDES: Record<number, ReadonlySet<string>> = {
  2: new Set(['@yarnpkg/cli', '@yarnpkg/core', 'clipanion', 'yup']),
  3: new Set(['@yarnpkg/cli', '@yarnpkg/core', 'clipanion']),
}

/**
 * Libraries a focus command may require that Yarn does not provide, put into the plugin file:
 * the 2.x command is compiled against tslib's helpers (`__decorate`). Each is a one-file
 * CommonJS package, taken at the newest release in the plugin's own dependency range.
 */
const INLINED: Record<string, string> = { tslib: 'tslib.js' }

/**
 * A Yarn plugin file holding `focus.js` (the package's compiled `workspaces focus` command), and
 * the `inlined` libraries it needs that Yarn does not hand to plugins (name → source); not the
 * package's other command, which needs more. Yarn calls `factory` with its own `require`, which the
 * command's other `require`s go to.
 */
export function pluginSource(focusJs: string, inlined: Record<string, string> = {}): string {
  // An inlined library is evaluated once, on first require, with a `global` of its own: tslib's
  // UMD wrapper would otherwise also set its helpers on Yarn's global object.
  const libs = Object.entries(inlined).map(([name, src]) => `    ${JSON.stringify(name)}: function () {
      var module = { exports: {} };
      (function (exports, module, global, self, define) {
${src}
      }).call({}, module.exports, module, {}, undefined, undefined);
      return module.exports;
    },`).join('\n')
  return `/* ${WORKSPACE_TOOLS}: its \`workspaces focus\` command (lib/commands/focus.js), made into a plugin by lading's yarn-install${Object.keys(inlined).length ? ` with ${Object.keys(inlined).join(', ')} inside` : ''}. */
module.exports = {
  name: ${JSON.stringify(WORKSPACE_TOOLS)},
  factory: function (yarnRequire) {
    var libs = {
${libs}
    };
    var loaded = {};
    function require(name) {
      if (!Object.prototype.hasOwnProperty.call(libs, name)) return yarnRequire(name);
      if (!Object.prototype.hasOwnProperty.call(loaded, name)) loaded[name] = libs[name]();
      return loaded[name];
    }
    var module = { exports: {} };
    (function (exports, require, module) {
${focusJs}
    })(module.exports, require, module);
    return { default: { commands: [module.exports.default] } };
  },
};
`
}

/** The modules `source` requires by name. */
export function requiredModules(source: string): string[] {
  return [...new Set([...source.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]!))]
}

/**
 * The newest release of the plugin for Yarn's major (2.x for Yarn 2, 3.x for Yarn 3) whose peer
 * range for @yarnpkg/cli takes `yarnVersion`, or undefined: a release made for a newer Yarn may
 * call what the older one lacks.
 */
export function pickPluginVersion(versions: Record<string, { peerDependencies?: Record<string, string> }>, yarnVersion: string): string | undefined {
  const major = semver.major(yarnVersion)
  const fits = Object.entries(versions).filter(([v, meta]) => {
    if (semver.prerelease(v) || semver.major(v) !== major) return false
    const peer = meta.peerDependencies?.['@yarnpkg/cli']
    return !peer || semver.satisfies(yarnVersion, peer, { includePrerelease: true })
  }).map(([v]) => v)
  return semver.rsort(fits)[0]
}

/**
 * For Yarn 2 and 3: the path of a plugin file giving it `workspaces focus`, made under `dir` (the
 * yarn tool layer, kept with it) or found there from an earlier build; undefined, with the reason
 * logged, when no release fits or its command needs more than Yarn hands to plugins and INLINED holds.
 */
export async function ensureFocusPlugin(ctx: BuildContext, reg: RegistryConfig, yarnVersion: string, dir: string): Promise<string | undefined> {
  const major = semver.major(yarnVersion)
  const provided = YARN_PROVIDES[major]
  const doc = await packument(WORKSPACE_TOOLS, reg)
  const version = provided ? pickPluginVersion(doc.versions, yarnVersion) : undefined
  if (!provided || !version) {
    ctx.log(`no ${WORKSPACE_TOOLS} ${major}.x release on ${reg.url} takes Yarn ${yarnVersion}: the launch layer keeps devDependencies`)
    return undefined
  }
  const file = join(dir, 'plugins', `workspace-tools-${version}.cjs`)
  if (existsSync(file)) return file
  const meta = doc.versions[version]!
  const tmp = mkdtempSync(join(tmpdir(), 'yarn-plugin-'))
  try {
    const url = onRegistry(meta.dist.tarball, reg)
    ctx.log(`downloading ${WORKSPACE_TOOLS} ${version} for \`yarn workspaces focus\` (Yarn ${yarnVersion}): ${url}`)
    await download(url, join(tmp, 'plugin.tgz'), meta.dist.integrity ?? '', reg)
    extractTarball(join(tmp, 'plugin.tgz'), tmp, ['lib/commands/focus.js'])
    const focus = readFileSync(join(tmp, 'lib', 'commands', 'focus.js'), 'utf8')
    // Node's own modules, with or without `node:`: builtinModules rather than isBuiltin, which the
    // older Node an app may ask for (and this runs under) lacks.
    const needs = requiredModules(focus).filter((m) => !provided.has(m) && !builtinModules.includes(m.replace(/^node:/, '')))
    const foreign = needs.filter((m) => !INLINED[m] || !meta.dependencies?.[m])
    if (foreign.length > 0) {
      ctx.log(`${WORKSPACE_TOOLS} ${version}'s focus command needs ${foreign.join(', ')}, which Yarn does not give plugins: the launch layer keeps devDependencies`)
      return undefined
    }
    const inlined: Record<string, string> = {}
    for (const lib of needs) {
      const range = meta.dependencies![lib]!
      const src = await libraryFile(ctx, reg, lib, range, tmp)
      if (src === undefined) {
        ctx.log(`${WORKSPACE_TOOLS} ${version}'s focus command needs ${lib}@${range}, and ${reg.url} has no release in that range: the launch layer keeps devDependencies`)
        return undefined
      }
      inlined[lib] = src
    }
    mkdirSync(join(dir, 'plugins'), { recursive: true })
    // Whole or not at all: a build killed mid-write leaves no plugin half there for the next one.
    writeFileSync(`${file}.tmp`, pluginSource(focus, inlined))
    renameSync(`${file}.tmp`, file)
    return file
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}

/**
 * The source of INLINED[lib] at the newest release of `lib` in `range`, downloaded and checked like
 * every package; undefined when the registry has no release in the range.
 */
async function libraryFile(ctx: BuildContext, reg: RegistryConfig, lib: string, range: string, tmp: string): Promise<string | undefined> {
  const doc = await packument(lib, reg)
  const version = semver.maxSatisfying(Object.keys(doc.versions), range)
  if (!version) return undefined
  const meta = doc.versions[version]!
  const dest = join(tmp, lib)
  mkdirSync(dest)
  ctx.log(`downloading ${lib} ${version}, which the focus command needs inside its plugin`)
  await download(onRegistry(meta.dist.tarball, reg), join(dest, 'package.tgz'), meta.dist.integrity ?? '', reg)
  extractTarball(join(dest, 'package.tgz'), dest, [INLINED[lib]!])
  return readFileSync(join(dest, INLINED[lib]!), 'utf8')
}

/** `~/.yarnrc.yml` for the install's HOME: Yarn 2 and 3 load plugins listed there, so the app's own rc file stays as it is. */
export function homeRc(pluginFile: string): string {
  return `plugins:\n  - path: ${JSON.stringify(pluginFile)}\n    spec: ${JSON.stringify(WORKSPACE_TOOLS)}\n`
}
