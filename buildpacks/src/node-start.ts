/** node-start: the `web` process (the default): scripts.start, else server.js, app.js, index.js or package.json main. */
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { isPlainNode } from './bin-shims.js'
import { readPackageJson, toml, type BuildContext, type DetectContext } from './cnb.js'

export const ID = 'lading/node-start'

/** The start command, as argv. A plain `node FILE ARGS` script runs directly; anything else through /bin/sh -c. */
export function startCommand(appDir: string): string[] | undefined {
  const p = readPackageJson(appDir)
  const scripts = p?.scripts as Record<string, unknown> | undefined
  const start = typeof scripts?.start === 'string' ? scripts.start.trim() : ''
  if (start) {
    if (isPlainNode(start)) return start.split(/\s+/)
    // `npm start` would put the packages' commands on PATH; the image has no npm. Node commands
    // come first from the install buildpack's shim layer (bin-shims.ts); node_modules/.bin goes
    // last, for the others. Always, not only when node_modules/.bin is there: a reused
    // node_modules layer is empty at build time, and the command must not change with it.
    return ['/bin/sh', '-c', `PATH="$PATH:$PWD/node_modules/.bin"; ${start}`]
  }
  for (const f of ['server.js', 'app.js', 'index.js']) if (existsSync(join(appDir, f))) return ['node', f]
  if (typeof p?.main === 'string' && existsSync(join(appDir, p.main))) return ['node', p.main]
  return undefined
}

/**
 * Passes for any package.json too: an app with nothing to start (a worker run by a custom command,
 * a library, a project still being set up) still builds, as on Heroku, and the build says what is
 * missing, instead of detection failing with no word about why.
 */
export function detect(ctx: DetectContext): number {
  if (!startCommand(ctx.appDir) && !existsSync(join(ctx.appDir, 'package.json'))) return 100
  writeFileSync(ctx.planPath, toml({}, { requires: [{ name: 'node', metadata: { launch: true } }] }))
  return 0
}

export async function build(ctx: BuildContext): Promise<void> {
  const cmd = startCommand(ctx.appDir)
  if (!cmd) {
    ctx.log('warning: nothing to start (no scripts.start, server.js, app.js, index.js, or a main file that exists): the image has no default process; give it one with scripts.start')
    return
  }
  ctx.log(`web: ${cmd.join(' ')}`)
  const [command, ...args] = cmd
  writeFileSync(join(ctx.layersDir, 'launch.toml'), toml({}, { processes: [{ type: 'web', command: [command!], args, default: true }] }))
}
