// node-start's processes: a Procfile's (Heroku's format) next to the start command, web as the default, package-manager calls resolved to their scripts.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { appDir } from '../helpers/work-dir.js'
import { build, detect } from '../../buildpacks/src/node-start.js'
import { processCommand } from '../../buildpacks/src/commands.js'

const app = (files: Record<string, string>): string => appDir(t, files, 'node-start')

/** launch.toml's processes after node-start's build, and what it logged. */
async function launch(files: Record<string, string>): Promise<{ toml: string; log: string[] }> {
  const appDir = app(files)
  const layersDir = app({})
  const log: string[] = []
  await build({ appDir, layersDir, platformDir: '/platform', planPath: '/dev/null', env: {}, log: (l) => log.push(l) })
  let toml = ''
  try { toml = readFileSync(join(layersDir, 'launch.toml'), 'utf8') } catch { /* no processes */ }
  return { toml, log }
}

t.test('npm start, npm run X, yarn X and pnpm X become the script they name (the run image has no package manager); prestart and poststart come along', async (t) => {
  const scripts = { start: 'node server.js', serve: 'yarn start:prod', 'start:prod': 'node dist/main.js', dev: 'nodemon a.js', watch: 'tsc -w' }
  t.same(processCommand('npm start', scripts), ['node', 'server.js'])
  t.same(processCommand('yarn serve', scripts), ['node', 'dist/main.js'], 'scripts that call scripts, followed')
  t.same(processCommand('npm run start:prod -- --port 9', scripts), ['node', 'dist/main.js', '--port', '9'], 'arguments after -- are appended')
  t.same(processCommand('pnpm run watch', scripts), ['/bin/sh', '-c', 'PATH="$PATH:$PWD/node_modules/.bin"; exec tsc -w'])
  t.same(processCommand('npm run missing', scripts), ['/bin/sh', '-c', 'PATH="$PATH:$PWD/node_modules/.bin"; exec npm run missing'], 'an unknown script is left alone (and warned about at build)')
  t.same(processCommand('npm start', { start: 'npm start' }), ['/bin/sh', '-c', 'PATH="$PATH:$PWD/node_modules/.bin"; exec npm start'], 'a loop ends')
  const { toml, log } = await launch({ 'package.json': JSON.stringify({ scripts: { prestart: 'node migrate.js', start: 'node server.js' } }) })
  t.match(toml, /"args" = \["-c", "PATH=\\"\$PATH:\$PWD\/node_modules\/.bin\\"; node migrate.js && node server.js"\]/)
  t.notMatch(log.join('\n'), /warning/)
  const npx = await launch({ Procfile: 'web: npx serve -s build\n' })
  t.match(npx.log.join('\n'), /warning: the web process runs npx, which the run image does not have \(only node\)/)
})

t.test('the Procfile\'s web replaces scripts.start; its other types come along; web is the default', async (t) => {
  const { toml, log } = await launch({ 'package.json': JSON.stringify({ scripts: { start: 'node a.js' } }), Procfile: 'web: node dist/main.js\nworker: node-worker --fast\n' })
  t.match(toml, /"type" = "web"\s+"command" = \["node"\]\s+"args" = \["dist\/main.js"\]\s+"default" = true/)
  t.match(toml, /"type" = "worker"\s+"command" = \["\/bin\/sh"\]\s+"args" = \["-c", "PATH=\\"\$PATH:\$PWD\/node_modules\/.bin\\"; exec node-worker --fast"\]\s+"default" = false/)
  t.notMatch(toml, /a\.js/)
  t.same(log, ['web: node dist/main.js (default) (Procfile)', 'worker: /bin/sh -c PATH="$PATH:$PWD/node_modules/.bin"; exec node-worker --fast (Procfile)'])
})

t.test('a Procfile without web keeps scripts.start as web; a lone non-web process is the default; nothing at all is a warning', async (t) => {
  const both = await launch({ 'package.json': JSON.stringify({ scripts: { start: 'node a.js' } }), Procfile: 'worker: node w.js\n' })
  t.match(both.toml, /"type" = "web"\s+"command" = \["node"\]\s+"args" = \["a.js"\]\s+"default" = true/)
  t.match(both.toml, /"type" = "worker"[\s\S]*"default" = false/)
  const lone = await launch({ Procfile: 'worker: node w.js\n' })
  t.match(lone.toml, /"type" = "worker"\s+"command" = \["node"\]\s+"args" = \["w.js"\]\s+"default" = true/)
  const none = await launch({ 'package.json': '{}' })
  t.equal(none.toml, '')
  t.match(none.log[0], /^warning: nothing to start .* or a Procfile$/)
})

t.test('detection passes for a Procfile alone', async (t) => {
  const plan = join(app({}), 'plan.toml')
  t.equal(detect({ appDir: app({ Procfile: 'web: node a.js\n' }), platformDir: '/platform', planPath: plan, env: {} }), 0)
  t.equal(detect({ appDir: app({ 'README.md': '' }), platformDir: '/platform', planPath: plan, env: {} }), 100)
})
