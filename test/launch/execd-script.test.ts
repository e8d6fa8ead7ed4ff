import t from 'tap'
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { LAUNCHER_ENV_FUNCTIONS } from '../../lib/launch/env-script.js'
import { LAUNCHER_EXECD_FUNCTIONS } from '../../lib/launch/execd-script.js'
import { shellQuote } from '../../lib/launch/launcher.js'

// The functions run on their own: a small harness defines what the launcher would, runs the
// exec.d programs of the given buildpacks, then prints the environment NUL-separated.
const SHELLS: [string, string[]][] = [['dash', ['/usr/bin/dash']], ['busybox sh', ['/usr/bin/busybox', 'sh']]]

function program(path: string, body: string, mode = 0o755): void {
  mkdirSync(join(path, '..'), { recursive: true })
  writeFileSync(path, `#!/bin/sh\n${body}\n`)
  chmodSync(path, mode)
}

function run(sh: string[], type: string, bps: [string, string[]][], cwd: string, env: Record<string, string> = {}) {
  const calls = bps.map(([id, layers]) => `  "$1" ${[id, ...layers].map(shellQuote).join(' ')}`)
  const script = [
    `_lading_die() { printf 'died: %s\\n' "$1" >&2; exit 82; }`,
    LAUNCHER_ENV_FUNCTIONS, LAUNCHER_EXECD_FUNCTIONS,
    `_lading_type=${shellQuote(type)}`,
    '_lading_buildpacks() {', '  :', ...calls, '}',
    '_lading_buildpacks _lading_bp_execd', 'printf "\\001"', 'exec /usr/bin/env -0',
  ].join('\n')
  const r = spawnSync(sh[0]!, [...sh.slice(1), '-c', script], { cwd, env: { PATH: '/usr/bin:/bin', ...env }, encoding: 'utf8' })
  const [printed = '', envText = ''] = r.stdout.split('\u0001')
  const vars: Record<string, string> = {}
  for (const entry of envText.split('\0')) {
    const eq = entry.indexOf('=')
    if (eq > 0) vars[entry.slice(0, eq)] = entry.slice(eq + 1)
  }
  return { code: r.status, err: r.stderr, printed, vars }
}

for (const [name, sh] of SHELLS) {
  t.test(`under ${name}`, async (t) => {
    t.test('order, fd 3 TOML, pass-through output, cwd and the env each program sees', async (t) => {
      const root = t.testdir()
      const L = (rel: string) => join(root, rel)
      program(L('a/one/exec.d/10-first'), [
        'echo "to stdout"', 'echo "to stderr" >&2',
        `printf '%s\\n' '# a comment' '' 'ORDER = "a/one/10"' '  "QUOTED_KEY" = "k" # trailing' >&3`,
        `printf '%s\\n' 'ESC = "q\\" b\\\\ n\\nt\\tend"' "LIT = 'it is \\\\n \\$HOME'" 'CWD = "'"$(pwd)"'"' >&3`,
      ].join('\n'))
      program(L('a/one/exec.d/20-second'), `printf 'ORDER = "%s,a/one/20"\\n' "$ORDER" >&3`)
      program(L('a/one/exec.d/web/30-web'), `printf 'ORDER = "%s,a/one/web"\\n' "$ORDER" >&3`)
      program(L('a/one/exec.d/worker/40-worker'), `printf 'ORDER = "%s,worker"\\n' "$ORDER" >&3`)
      program(L('a/two/exec.d/50'), `printf 'ORDER = "%s,a/two"\\n' "$ORDER" >&3`)
      program(L('b/one/exec.d/60'), `printf 'ORDER = "%s,b/one"\\nFROM_ENV = "%s"\\n' "$ORDER" "$PRESET" >&3`)
      mkdirSync(L('a/none'))
      const r = run(sh, 'web', [['a', [L('a/one'), L('a/two'), L('a/none')]], ['b', [L('b/one')]]], root, { PRESET: 'launch env' })
      t.equal(r.code, 0, r.err)
      t.equal(r.vars.ORDER, 'a/one/10,a/one/20,a/one/web,a/two,b/one', 'group order, layers, exec.d then exec.d/<type>, by name')
      t.equal(r.vars.QUOTED_KEY, 'k')
      t.equal(r.vars.ESC, 'q" b\\ n\nt\tend')
      t.equal(r.vars.LIT, 'it is \\n $HOME', 'literal strings are taken as written')
      t.equal(r.vars.CWD, root, 'programs run in the current directory (the launcher has cd to the app)')
      t.equal(r.vars.FROM_ENV, 'launch env')
      t.equal(r.printed, 'to stdout\n')
      t.equal(r.err, 'to stderr\n')
    })

    t.test('no process type: only exec.d/*; no exec.d dirs: nothing happens', async (t) => {
      const root = t.testdir()
      program(join(root, 'l/exec.d/p'), `echo 'X = "top"' >&3`)
      program(join(root, 'l/exec.d/web/p'), `echo 'X = "web"' >&3`)
      t.equal(run(sh, '', [['a', [join(root, 'l')]]], root).vars.X, 'top')
      t.equal(run(sh, '', [['a', [join(root, 'nothing')]]], root).code, 0)
    })

    const failures: [string, string, RegExp][] = [
      ['a program failing', 'echo partial >&3; exit 3', /died: exec\.d program .*\/p failed \(exit status 3\)/],
      ['a value that is not a string', `echo 'X = 1' >&3`, /the value of X must be a string/],
      ['an unterminated string', `echo 'X = "abc' >&3`, /cannot read the string for X/],
      ['an escape the launcher cannot read', `printf '%s\\n' 'X = "\\u0041"' >&3`, /cannot read the string for X/],
      ['a multi-line string', `printf '%s\\n' 'X = """a' >&3`, /multi-line strings are not supported/],
      ['text after the value', `echo 'X = "a" b' >&3`, /unexpected text after the value of X/],
      ['a line that is no pair', `echo 'garbage' >&3`, /wrote a line that is not NAME = "value": garbage/],
      ['a name no shell can set', `echo '1X = "a"' >&3`, /invalid environment variable name: 1X/],
    ]
    for (const [what, body, message] of failures) {
      t.test(`${what}: launch error 82 naming the program`, async (t) => {
        const root = t.testdir()
        program(join(root, 'l/exec.d/p'), body)
        const r = run(sh, '', [['a', [join(root, 'l')]]], root)
        t.equal(r.code, 82)
        t.match(r.err, message)
        t.equal(r.vars.X, undefined)
      })
    }

    t.test('a file that is not executable is an error, as in the Go launcher', async (t) => {
      const root = t.testdir()
      program(join(root, 'l/exec.d/p'), `echo 'X = "a"' >&3`, 0o644)
      const r = run(sh, '', [['a', [join(root, 'l')]]], root)
      t.equal(r.code, 82)
      t.match(r.err, /exec\.d program .*\/p is not executable/)
    })
  })
}
