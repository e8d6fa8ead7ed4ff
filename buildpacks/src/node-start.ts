/** node-start: the processes: a Procfile's (Heroku's format), and `web` (the default) from the Procfile, else scripts.start, server.js, app.js, index.js or package.json main. */
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { isPlainNode } from './bin-shims.js'
import { readPackageJson, toml, type BuildContext, type DetectContext } from './cnb.js'
import { readProcfile } from './procfile.js'

export const ID = 'lading/node-start'

/** The start command, as argv. A plain `node FILE ARGS` script runs directly; anything else through /bin/sh -c. */
export function startCommand(appDir: string): string[] | undefined {
  const p = readPackageJson(appDir)
  const scripts = p?.scripts as Record<string, unknown> | undefined
  const start = typeof scripts?.start === 'string' ? scripts.start.trim() : ''
  if (start) {
    // As `npm start` would: prestart first, poststart after (Paketo's npm-start does the same).
    const around = ['prestart', 'start', 'poststart'].map((k) => scripts?.[k]).filter((c): c is string => typeof c === 'string' && c.trim() !== '')
    return around.length > 1 ? shellCommand(around.map((c) => c.trim()).join(' && ')) : processCommand(start, scripts)
  }
  for (const f of ['server.js', 'app.js', 'index.js']) if (existsSync(join(appDir, f))) return ['node', f]
  if (typeof p?.main === 'string' && existsSync(join(appDir, p.main))) return ['node', p.main]
  return undefined
}

/**
 * A script or Procfile command as argv: a package-manager call of a script (`npm start`, `npm run
 * X`, `yarn X`, `pnpm X`) becomes that script, since the run image has no package manager; then a
 * plain `node FILE ARGS` runs directly, anything else through /bin/sh -c.
 */
export function processCommand(command: string, scripts: Record<string, unknown> = {}): string[] {
  let cmd = command.trim()
  for (let depth = 0; depth < 5; depth++) {
    const next = viaScript(cmd, scripts)
    if (next === undefined) break
    cmd = next
  }
  if (isPlainNode(cmd)) return cmd.split(/\s+/)
  // `npm start` would put the packages' commands on PATH. Node commands come first from the
  // install buildpack's shim layer (bin-shims.ts); node_modules/.bin goes last, for the others.
  // Always, not only when node_modules/.bin is there: a reused node_modules layer is empty at
  // build time, and the command must not change with it.
  return shellCommand(cmd)
}

/** The script a whole-command `npm|yarn|pnpm [run] NAME [--] [ARGS]` names, with ARGS appended; undefined for anything else. */
function viaScript(command: string, scripts: Record<string, unknown>): string | undefined {
  const m = /^(?:npm|yarn|pnpm)\s+(?:(?:run|run-script)\s+)?([\w:.-]+)(?:\s+--)?((?:\s+[^;&|`<>()\n]*)?)$/.exec(command)
  const body = m && scripts[m[1]!]
  if (typeof body !== 'string' || !body.trim()) return undefined
  return `${body.trim()}${m![2]!.trimEnd()}`
}

/**
 * A shell command with the packages' commands on PATH. A single command is exec'd, so that it is
 * the container's PID 1 and gets SIGTERM itself: dash, as PID 1 waiting on a child, would ignore it,
 * and `podman stop` would wait out its timeout and kill the app without a chance to clean up.
 */
export function shellCommand(command: string): string[] {
  // Not for lists, pipes, redirections, subshells, compound commands, or a leading VAR=value (exec would take it for the command).
  const single = !/[;&|`<>()\n]|\$\(/.test(command) && !/^\s*(exec|if|for|while|case|until|\{|!)(\s|$)|^\s*[A-Za-z_][A-Za-z0-9_]*=/.test(command)
  return ['/bin/sh', '-c', `PATH="$PATH:$PWD/node_modules/.bin"; ${single ? 'exec ' : ''}${command}`]
}

/**
 * Passes for any package.json too: an app with nothing to start (a worker run by a custom command,
 * a library, a project still being set up) still builds, as on Heroku, and the build says what is
 * missing, instead of detection failing with no word about why.
 */
export function detect(ctx: DetectContext): number {
  if (!startCommand(ctx.appDir) && !existsSync(join(ctx.appDir, 'package.json')) && !existsSync(join(ctx.appDir, 'Procfile'))) return 100
  writeFileSync(ctx.planPath, toml({}, { requires: [{ name: 'node', metadata: { launch: true } }] }))
  return 0
}

export async function build(ctx: BuildContext): Promise<void> {
  const procfile = readProcfile(ctx.appDir)
  const scripts = (readPackageJson(ctx.appDir)?.scripts ?? {}) as Record<string, unknown>
  const processes = procfile.map((p) => ({ type: p.type, cmd: processCommand(p.command, scripts) }))
  const start = processes.some((p) => p.type === 'web') ? undefined : startCommand(ctx.appDir)
  if (start) processes.unshift({ type: 'web', cmd: start })
  if (processes.length === 0) {
    ctx.log('warning: nothing to start (no Procfile, scripts.start, server.js, app.js, index.js, or a main file that exists): the image has no default process; give it one with scripts.start or a Procfile')
    return
  }
  // web is the default, as on Heroku; a Procfile with one process and no web makes that one the default.
  const main = processes.find((p) => p.type === 'web') ?? (processes.length === 1 ? processes[0] : undefined)
  for (const p of processes) {
    ctx.log(`${p.type}: ${p.cmd.join(' ')}${p === main ? ' (default)' : ''}${procfile.some((q) => q.type === p.type) ? ' (Procfile)' : ''}`)
    const pm = /(?:^|[;&|]\s*|exec\s+)(npm|npx|yarn|pnpm)\s/.exec(p.cmd.at(-1) ?? '')
    if (pm) ctx.log(`warning: the ${p.type} process runs ${pm[1]}, which the run image does not have (only node); name the script's command instead`)
  }
  writeFileSync(join(ctx.layersDir, 'launch.toml'), toml({}, {
    processes: processes.map((p) => ({ type: p.type, command: [p.cmd[0]!], args: p.cmd.slice(1), default: p === main })),
  }))
}
