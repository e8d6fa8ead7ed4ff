// The build step's choices without a build: BP_NODE_RUN_SCRIPTS wins, else `build`, a missing script is a named error; scripts run in order with the package manager and a failure names the script.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { runScripts, scriptsToRun } from '../../buildpacks/src/run-scripts.js'
import { BuildpackError, type BuildContext } from '../../buildpacks/src/cnb.js'

function app(pkg: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'lading-bp-scripts-'))
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

t.test('which scripts run', async (t) => {
  const dir = app({ scripts: { build: 'tsc', lint: 'eslint .', 'build:css': 'x' } })
  t.same(scriptsToRun(dir, {}), { scripts: ['build'], source: 'package.json scripts.build' })
  t.same(scriptsToRun(dir, { BP_NODE_RUN_SCRIPTS: ' lint, build:css ,' }), { scripts: ['lint', 'build:css'], source: 'BP_NODE_RUN_SCRIPTS' })
  t.same(scriptsToRun(dir, { BP_NODE_RUN_SCRIPTS: ' ' }).scripts, [], 'set and empty turns the build step off')
  t.same(scriptsToRun(app({ scripts: { start: 'node x' } }), {}).scripts, [], 'no build script, no build step')
  t.same(scriptsToRun(app({ scripts: { build: '' } }), {}).scripts, [], 'an empty build script is nothing to run')
  t.same(scriptsToRun(app({}), {}).scripts, [])
  t.same(scriptsToRun(app({ scripts: { build: 'x', 'heroku-postbuild': 'y' } }), {}), { scripts: ['heroku-postbuild'], source: 'package.json scripts.heroku-postbuild' }, 'Heroku runs it instead of build')
  t.same(scriptsToRun(app({ scripts: { build: 'x', 'gcp-build': 'tsc -p .' } }), {}).scripts, ['gcp-build'], 'so does Google Cloud with its hook')
  t.throws(() => scriptsToRun(dir, { BP_NODE_RUN_SCRIPTS: 'build,compile' }), new BuildpackError('BP_NODE_RUN_SCRIPTS names "compile", which package.json\'s scripts lack (it has: build, lint, build:css)'))
})

t.test('runs each script with the tool, in order, and stops at the first failure', async (t) => {
  const dir = app({ scripts: { a: 'x', b: 'y', bad: 'z' } })
  const bin = join(dir, 'tool-bin')
  mkdirSync(bin)
  // A stand-in package manager: records `run <script>` and fails for `bad`, as npm does for a failing script.
  writeFileSync(join(bin, 'npm'), '#!/bin/sh\necho "$2" >> ran.txt\n[ "$2" != bad ] || { echo "tsc: error TS2304" >&2; exit 2; }\n')
  chmodSync(join(bin, 'npm'), 0o755)
  const lines: string[] = []
  const ctx = { appDir: dir, log: (l: string) => lines.push(l) } as unknown as BuildContext
  const tool = { name: 'npm', bin, env: { PATH: process.env.PATH } }
  runScripts(ctx, { scripts: ['a', 'b'], source: 'BP_NODE_RUN_SCRIPTS' }, tool)
  t.equal(readFileSync(join(dir, 'ran.txt'), 'utf8'), 'a\nb\n')
  t.match(lines, ['running npm run a (BP_NODE_RUN_SCRIPTS)', 'running npm run b (BP_NODE_RUN_SCRIPTS)'])
  t.throws(() => runScripts(ctx, { scripts: ['bad', 'a'], source: 'x' }, tool), { message: /the app's "bad" script failed \(npm run bad, exit 2\):\n {2}tsc: error TS2304/ })
  t.equal(readFileSync(join(dir, 'ran.txt'), 'utf8'), 'a\nb\nbad\n', 'nothing after the failure ran')
})
