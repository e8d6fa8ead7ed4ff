/** node-start: the `web` process (the default): scripts.start, else server.js, app.js, index.js or package.json main. */
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { BuildpackError, readPackageJson, toml, type BuildContext, type DetectContext } from './cnb.js'

export const ID = 'lading/node-start'

/** The start command, as argv. A plain `node FILE ARGS` script runs directly; anything else through /bin/sh -c. */
export function startCommand(appDir: string): string[] | undefined {
  const p = readPackageJson(appDir)
  const scripts = p?.scripts as Record<string, unknown> | undefined
  const start = typeof scripts?.start === 'string' ? scripts.start.trim() : ''
  if (start) {
    if (/^node(\s+[\w@%+=:,./-]+)+$/.test(start)) return start.split(/\s+/)
    return ['/bin/sh', '-c', start]
  }
  for (const f of ['server.js', 'app.js', 'index.js']) if (existsSync(join(appDir, f))) return ['node', f]
  if (typeof p?.main === 'string' && existsSync(join(appDir, p.main))) return ['node', p.main]
  return undefined
}

export function detect(ctx: DetectContext): number {
  if (!startCommand(ctx.appDir)) return 100
  writeFileSync(ctx.planPath, toml({}, { requires: [{ name: 'node', metadata: { launch: true } }] }))
  return 0
}

export async function build(ctx: BuildContext): Promise<void> {
  const cmd = startCommand(ctx.appDir)
  if (!cmd) throw new BuildpackError('nothing to start: no scripts.start, server.js, app.js, index.js or main in package.json')
  ctx.log(`web: ${cmd.join(' ')}`)
  const [command, ...args] = cmd
  writeFileSync(join(ctx.layersDir, 'launch.toml'), toml({}, { processes: [{ type: 'web', command: [command!], args, default: true }] }))
}
