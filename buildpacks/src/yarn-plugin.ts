/** yarn-install's `workspaces focus` for Yarn 3: made from the npm registry's @yarnpkg/plugin-workspace-tools, since Yarn's own `plugin import` fetches it from GitHub. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import semver from 'semver'
import type { BuildContext } from './cnb.js'
import { download, extractTarball, onRegistry, packument, type RegistryConfig } from './registry.js'

export const WORKSPACE_TOOLS = '@yarnpkg/plugin-workspace-tools'

/** What a plugin's code may require: Yarn 3 hands its plugins these and Node's built-ins, nothing else. */
const YARN_PROVIDES = new Set(['@yarnpkg/cli', '@yarnpkg/core', 'clipanion'])

/**
 * A Yarn plugin file holding `focus.js` (the package's compiled `workspaces focus` command) and
 * nothing else: the package's other command needs libraries Yarn does not hand to plugins. Yarn
 * calls `factory` with its own `require`, which the command's `require`s go to.
 */
export function pluginSource(focusJs: string): string {
  return `/* ${WORKSPACE_TOOLS}: its \`workspaces focus\` command (lib/commands/focus.js), made into a plugin by lading's yarn-install. */
module.exports = {
  name: ${JSON.stringify(WORKSPACE_TOOLS)},
  factory: function (require) {
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
 * The newest 3.x release of the plugin whose peer range for @yarnpkg/cli takes `yarnVersion`, or
 * undefined: a release made for a newer Yarn may call what the older one lacks.
 */
export function pickPluginVersion(versions: Record<string, { peerDependencies?: Record<string, string> }>, yarnVersion: string): string | undefined {
  const fits = Object.entries(versions).filter(([v, meta]) => {
    if (semver.prerelease(v) || semver.major(v) !== 3) return false
    const peer = meta.peerDependencies?.['@yarnpkg/cli']
    return !peer || semver.satisfies(yarnVersion, peer, { includePrerelease: true })
  }).map(([v]) => v)
  return semver.rsort(fits)[0]
}

/**
 * For Yarn 3: the path of a plugin file giving it `workspaces focus`, made under `dir` (the yarn
 * tool layer, kept with it) or found there from an earlier build; undefined, with the reason
 * logged, when no release fits or its command needs more than Yarn hands to plugins.
 */
export async function ensureFocusPlugin(ctx: BuildContext, reg: RegistryConfig, yarnVersion: string, dir: string): Promise<string | undefined> {
  const doc = await packument(WORKSPACE_TOOLS, reg)
  const version = pickPluginVersion(doc.versions, yarnVersion)
  if (!version) {
    ctx.log(`no ${WORKSPACE_TOOLS} 3.x release on ${reg.url} takes Yarn ${yarnVersion}: the launch layer keeps devDependencies`)
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
    const foreign = requiredModules(focus).filter((m) => !YARN_PROVIDES.has(m) && !m.startsWith('node:'))
    if (foreign.length > 0) {
      ctx.log(`${WORKSPACE_TOOLS} ${version}'s focus command needs ${foreign.join(', ')}, which Yarn does not give plugins: the launch layer keeps devDependencies`)
      return undefined
    }
    mkdirSync(join(dir, 'plugins'), { recursive: true })
    // Whole or not at all: a build killed mid-write leaves no plugin half there for the next one.
    writeFileSync(`${file}.tmp`, pluginSource(focus))
    renameSync(`${file}.tmp`, file)
    return file
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}

/** `~/.yarnrc.yml` for the install's HOME: Yarn 3 loads plugins listed there, so the app's own rc file stays as it is. */
export function homeRc(pluginFile: string): string {
  return `plugins:\n  - path: ${JSON.stringify(pluginFile)}\n    spec: ${JSON.stringify(WORKSPACE_TOOLS)}\n`
}
