// Reading a Procfile: Heroku's `type: command` lines.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { readProcfile } from '../../buildpacks/src/procfile.js'

function app(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'lading-procfile-'))
  for (const [f, c] of Object.entries(files)) writeFileSync(join(dir, f), c)
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

t.test('Procfile: type: command lines, comments and blank lines skipped, a later line of the same type wins, a bad line is named', async (t) => {
  t.same(readProcfile(app({})), [])
  t.same(readProcfile(app({ Procfile: '# processes\nweb: node server.js\r\n\nworker:node worker.js --queue=a\nweb: npm run serve\n' })), [
    { type: 'web', command: 'npm run serve' },
    { type: 'worker', command: 'node worker.js --queue=a' },
  ])
  t.throws(() => readProcfile(app({ Procfile: 'web: node a.js\nnot a process\n' })), /Procfile line 2 is not "type: command": "not a process"/)
})
