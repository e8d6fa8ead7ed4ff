/** The commands an app's processes run (a Procfile's; scripts.start with prestart/poststart; else a main file), as argv: read by node-start for launch.toml and by the install buildpacks, which add command shims when a process runs through the shell. */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { readPackageJson } from './cnb.js'
import { readProcfile } from './procfile.js'

/** A start script that runs a plain `node FILE ARGS` needs no shell and no package command. */
export function isPlainNode(start: string): boolean {
  return /^node(\s+[\w@%+=:,./-]+)+$/.test(start)
}

/** package.json's scripts (empty when there are none, or they are not an object). */
export function scriptsOf(pkg: Record<string, unknown> | undefined): Record<string, unknown> {
  const raw = pkg?.scripts
  return raw && typeof raw === 'object' && !Array.isArray(raw) ? raw as Record<string, unknown> : {}
}

/** The start command, as argv. A plain `node FILE ARGS` script runs directly; anything else through /bin/sh -c. */
export function startCommand(appDir: string): string[] | undefined {
  const p = readPackageJson(appDir)
  const scripts = scriptsOf(p)
  const start = typeof scripts.start === 'string' ? scripts.start.trim() : ''
  if (start) {
    // As `npm start` would: prestart first, poststart after (Paketo's npm-start does the same).
    const around = ['prestart', 'start', 'poststart'].map((k) => scripts[k]).filter((c): c is string => typeof c === 'string' && c.trim() !== '')
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

/** One process of the app: its type, its argv, and whether the Procfile named it. */
export interface AppProcess { type: string; cmd: string[]; procfile: boolean }

/** The Procfile's processes in its order, with `web` from startCommand first when the Procfile has none. */
export function appProcesses(appDir: string): AppProcess[] {
  const scripts = scriptsOf(readPackageJson(appDir))
  const processes = readProcfile(appDir).map((p) => ({ type: p.type, cmd: processCommand(p.command, scripts), procfile: true }))
  const start = processes.some((p) => p.type === 'web') ? undefined : startCommand(appDir)
  if (start) processes.unshift({ type: 'web', cmd: start, procfile: false })
  return processes
}
