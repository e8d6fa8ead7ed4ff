/** A Procfile (Heroku's format: `type: command` lines), read for the app's processes (commands.ts). */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { BuildpackError } from './cnb.js'

/** A Procfile's processes (`type: command` lines, Heroku's format), in file order; a line that is neither is an error naming it. */
export function readProcfile(appDir: string): Array<{ type: string; command: string }> {
  const file = join(appDir, 'Procfile')
  if (!existsSync(file)) return []
  const out: Array<{ type: string; command: string }> = []
  for (const [i, raw] of readFileSync(file, 'utf8').split(/\r?\n/).entries()) {
    const line = raw.trim()
    if (!line || line.startsWith('#')) continue
    const m = /^([A-Za-z0-9_-]+)\s*:\s*(.+)$/.exec(line)
    if (!m) throw new BuildpackError(`Procfile line ${i + 1} is not "type: command": ${JSON.stringify(line)}`)
    const known = out.find((p) => p.type === m[1])
    if (known) known.command = m[2]!
    else out.push({ type: m[1]!, command: m[2]! })
  }
  return out
}
