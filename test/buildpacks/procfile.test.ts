// Reading a Procfile: Heroku's `type: command` lines.
import t from 'tap'
import { appDir } from '../helpers/work-dir.js'
import { readProcfile } from '../../buildpacks/src/procfile.js'

const app = (files: Record<string, string>): string => appDir(t, files, 'procfile')

t.test('Procfile: type: command lines, comments and blank lines skipped, a later line of the same type wins, a bad line is named', async (t) => {
  t.same(readProcfile(app({})), [])
  t.same(readProcfile(app({ Procfile: '# processes\nweb: node server.js\r\n\nworker:node worker.js --queue=a\nweb: npm run serve\n' })), [
    { type: 'web', command: 'npm run serve' },
    { type: 'worker', command: 'node worker.js --queue=a' },
  ])
  t.throws(() => readProcfile(app({ Procfile: 'web: node a.js\nnot a process\n' })), /Procfile line 2 is not "type: command": "not a process"/)
})
