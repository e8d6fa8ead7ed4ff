// The commands of an app's processes: single shell commands exec'd so the app is PID 1 and gets SIGTERM; shims exactly when a process goes through the shell.
import t from 'tap'
import { appDir } from '../helpers/work-dir.js'
import { shellCommand } from '../../buildpacks/src/commands.js'
import { needsShims } from '../../buildpacks/src/bin-shims.js'

t.test('a single shell command is exec\'d; lists, pipes, compound commands and leading assignments are not', async (t) => {
  const PATH = 'PATH="$PATH:$PWD/node_modules/.bin"; '
  t.same(shellCommand('http-server -p $PORT'), ['/bin/sh', '-c', `${PATH}exec http-server -p $PORT`])
  t.same(shellCommand('./start.sh'), ['/bin/sh', '-c', `${PATH}exec ./start.sh`])
  for (const c of ['next build && next start', 'a; b', 'a | b', 'a > log', 'node $(cat main)', 'if true; then a; fi', 'NODE_ENV=x node a.js', 'exec node a.js', '(a)', 'a &']) {
    t.same(shellCommand(c), ['/bin/sh', '-c', `${PATH}${c}`], c)
  }
})


t.test('shims follow the commands the processes really run', async (t) => {
  const app = (files: Record<string, string>): string => appDir(t, files, 'commands')
  t.ok(needsShims(app({ 'package.json': JSON.stringify({ scripts: { prestart: 'knex migrate:latest', start: 'node server.js' } }) })), 'prestart runs a package command through the shell')
  t.notOk(needsShims(app({ 'package.json': JSON.stringify({ scripts: { start: 'node server.js' } }), Procfile: 'web: npm start\n' })), 'npm start is plain node')
  t.ok(needsShims(app({ Procfile: 'worker: tsx watch src\n' })))
})
