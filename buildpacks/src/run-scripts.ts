/** The app's own build step: which package.json scripts run after the install (BP_NODE_RUN_SCRIPTS, else `build`), and running them with the package manager so a failure is a clear buildpack error. */
import { spawnSync } from 'node:child_process'
import { BuildpackError, readPackageJson, type BuildContext } from './cnb.js'
import { scriptsOf } from './commands.js'

export interface ScriptPlan {
  scripts: string[]
  /** Where the list came from, for the log. */
  source: string
}

/**
 * Paketo's `BP_NODE_RUN_SCRIPTS` (comma-separated, run in order; set and empty: none) when set; otherwise the `build`
 * script if package.json has one, as heroku/nodejs does, so a TypeScript or bundled app is
 * built without extra configuration (`heroku-postbuild` or `gcp-build` instead, when present). A name the package.json lacks is the user's typo: an error,
 * not a silent skip, because the image would otherwise ship unbuilt.
 */
export function scriptsToRun(appDir: string, env: NodeJS.ProcessEnv): ScriptPlan {
  const scripts = scriptsOf(readPackageJson(appDir))
  const requested = (env.BP_NODE_RUN_SCRIPTS ?? '').split(',').map((s) => s.trim()).filter(Boolean)
  // Set but empty is Paketo's way to turn script running off, the build script included.
  if (env.BP_NODE_RUN_SCRIPTS !== undefined && requested.length === 0) return { scripts: [], source: 'BP_NODE_RUN_SCRIPTS="" (off)' }
  if (requested.length > 0) {
    const missing = requested.filter((s) => typeof scripts[s] !== 'string')
    if (missing.length > 0) {
      const have = Object.keys(scripts).join(', ') || 'none'
      throw new BuildpackError(`BP_NODE_RUN_SCRIPTS names ${missing.map((s) => JSON.stringify(s)).join(', ')}, which package.json's scripts lack (it has: ${have})`)
    }
    return { scripts: requested, source: 'BP_NODE_RUN_SCRIPTS' }
  }
  // An app written for Heroku or Google Cloud puts its build step in that platform's hook, which the
  // platform runs instead of `build`; running the same one here builds such apps unchanged.
  for (const name of ['heroku-postbuild', 'gcp-build', 'build']) {
    const v = scripts[name]
    if (typeof v === 'string' && v.trim()) return { scripts: [name], source: `package.json scripts.${name}` }
  }
  return { scripts: [], source: 'none' }
}

export interface ScriptRunner {
  /** The package manager's command, e.g. `npm` or `yarn`. */
  name: string
  /** Its bin directory. */
  bin: string
  /** Environment for the scripts (PATH with the tool, HOME, registry). */
  env: NodeJS.ProcessEnv
}

/** Runs each script with `<tool> run <script>` in the app dir; the first failure stops the build. */
export function runScripts(ctx: BuildContext, plan: ScriptPlan, tool: ScriptRunner): void {
  for (const script of plan.scripts) {
    ctx.log(`running ${tool.name} run ${script} (${plan.source})`)
    const res = spawnSync(`${tool.bin}/${tool.name}`, ['run', script], { cwd: ctx.appDir, env: tool.env, encoding: 'utf8', maxBuffer: 256 << 20 })
    const output = `${res.stdout ?? ''}${res.stderr ?? ''}`
    process.stdout.write(output)
    if (res.status !== 0) {
      const tail = output.trim().split('\n').slice(-12).join('\n  ')
      throw new BuildpackError(`the app's ${JSON.stringify(script)} script failed (${tool.name} run ${script}, ${res.error ? res.error.message : `exit ${res.status}`}):\n  ${tail}`)
    }
  }
}
