/** node-start: the processes: a Procfile's (Heroku's format), and `web` (the default) from the Procfile, else scripts.start, server.js, app.js, index.js or package.json main. */
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { toml, type BuildContext, type DetectContext } from './cnb.js'
import { appProcesses, startCommand } from './commands.js'

export const ID = 'lading/node-start'

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
  const processes = appProcesses(ctx.appDir)
  if (processes.length === 0) {
    ctx.log('warning: nothing to start (no Procfile, scripts.start, server.js, app.js, index.js, or a main file that exists): the image has no default process; give it one with scripts.start or a Procfile')
    return
  }
  // web is the default, as on Heroku; a Procfile with one process and no web makes that one the default.
  const main = processes.find((p) => p.type === 'web') ?? (processes.length === 1 ? processes[0] : undefined)
  for (const p of processes) {
    ctx.log(`${p.type}: ${p.cmd.join(' ')}${p === main ? ' (default)' : ''}${p.procfile ? ' (Procfile)' : ''}`)
    const pm = /(?:^|[;&|]\s*|exec\s+)(npm|npx|yarn|pnpm)\s/.exec(p.cmd.at(-1) ?? '')
    if (pm) ctx.log(`warning: the ${p.type} process runs ${pm[1]}, which the run image does not have (only node); name the script's command instead`)
  }
  writeFileSync(join(ctx.layersDir, 'launch.toml'), toml({}, {
    processes: processes.map((p) => ({ type: p.type, command: [p.cmd[0]!], args: p.cmd.slice(1), default: p === main })),
  }))
}
