// The commands of an app's processes: single shell commands exec'd so the app is PID 1 and gets SIGTERM.
import t from 'tap'
import { shellCommand } from '../../buildpacks/src/commands.js'

t.test('a single shell command is exec\'d; lists, pipes, compound commands and leading assignments are not', async (t) => {
  const PATH = 'PATH="$PATH:$PWD/node_modules/.bin"; '
  t.same(shellCommand('http-server -p $PORT'), ['/bin/sh', '-c', `${PATH}exec http-server -p $PORT`])
  t.same(shellCommand('./start.sh'), ['/bin/sh', '-c', `${PATH}exec ./start.sh`])
  for (const c of ['next build && next start', 'a; b', 'a | b', 'a > log', 'node $(cat main)', 'if true; then a; fi', 'NODE_ENV=x node a.js', 'exec node a.js', '(a)', 'a &']) {
    t.same(shellCommand(c), ['/bin/sh', '-c', `${PATH}${c}`], c)
  }
})

