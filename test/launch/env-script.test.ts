import t from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { LAUNCHER_ENV_FUNCTIONS } from '../../lib/launch/env-script.js'
import { shellQuote } from '../../lib/launch/launcher.js'

// The functions run on their own here: a small harness defines what the launcher would
// (_lading_die, _lading_type, _lading_buildpacks), then prints the environment NUL-separated.
const SHELLS: [string, string[]][] = [['dash', ['/usr/bin/dash']], ['busybox sh', ['/usr/bin/busybox', 'sh']]]

type Buildpacks = [string, string[]][]

function write(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    const p = join(root, rel)
    if (rel.endsWith('/')) {
      mkdirSync(p, { recursive: true })
      continue
    }
    mkdirSync(join(p, '..'), { recursive: true })
    writeFileSync(p, text)
  }
}

function harness(type: string, bps: Buildpacks, then: string): string {
  const calls = bps.map(([id, layers]) => `  "$1" ${[id, ...layers].map(shellQuote).join(' ')}`)
  return [
    `_lading_die() { printf 'died: %s\\n' "$1" >&2; exit 82; }`,
    LAUNCHER_ENV_FUNCTIONS,
    `_lading_type=${shellQuote(type)}`,
    '_lading_buildpacks() {', '  :', ...calls, '}',
    then,
  ].join('\n')
}

function run(sh: string[], script: string, env: Record<string, string> = {}) {
  const r = spawnSync(sh[0]!, [...sh.slice(1), '-c', script], { env: { PATH: '/usr/bin:/bin', ...env }, encoding: 'utf8' })
  const vars: Record<string, string> = {}
  for (const entry of r.stdout.split('\0')) {
    const eq = entry.indexOf('=')
    if (eq > 0) vars[entry.slice(0, eq)] = entry.slice(eq + 1)
  }
  return { code: r.status, err: r.stderr, out: r.stdout, vars }
}

const envOf = (sh: string[], type: string, bps: Buildpacks, env: Record<string, string> = {}) =>
  run(sh, harness(type, bps, '_lading_buildpacks _lading_bp_env\nexec /usr/bin/env -0'), env)

const RAW = `it's "quoted" $HOME \`x\` back\\slash  \n\tsecond line\n\n`

for (const [name, sh] of SHELLS) {
  t.test(`under ${name}`, async (t) => {
    const root = t.testdir()
    const L = (rel: string) => join(root, rel)
    write(root, {
      // buildpack a, layer "one": every suffix kind; values raw
      'a/one/env/RAW': RAW,
      'a/one/env/NOEOL': '  no newline at the end',
      'a/one/env/EMPTY': '',
      'a/one/env/OVR.override': 'ovr',
      'a/one/env/DEF.default': 'def-one',
      'a/one/env/KEEP.default': 'not used',
      'a/one/env/FILL.default': 'filled',
      'a/one/env/LIST.prepend': 'pre',
      'a/one/env/LIST.append': 'post',
      'a/one/env/LIST.delim': ':',
      'a/one/env/NODELIM.append': 'x',
      'a/one/env/NL.append': 'line2',
      'a/one/env/NL.delim': '\n',
      'a/one/env/ODD.delim': 'a delim alone is no variable',
      'a/one/env/UNKNOWN.suffix': 'skipped',
      'a/one/env/A-B': 'not a portable name',
      'a/one/env/1X': 'not a portable name',
      'a/one/env/_lading_type': 'ours',
      'a/one/env/PPID': 'read-only in bash',
      'a/one/env/.HIDDEN': 'dotfiles are ignored',
      'a/one/env/SUBDIR/': '',
      'a/one/env.launch/OVR': 'ovr-launch',
      'a/one/env.launch/DLIST.append': 'launch',
      'a/one/env.launch/web/OVR.override': 'ovr-web',
      'a/one/env.launch/web/DLIST.append': 'web',
      'a/one/env.launch/web/DLIST.delim': '+',
      'a/one/env.launch/worker/OVR': 'ovr-worker',
      // layer "two" of buildpack a: root dirs apply before any env file of the buildpack
      'a/one/bin/': '',
      'a/one/env/PATH.prepend': '/from-env',
      'a/one/env/PATH.delim': ':',
      'a/two/bin/': '',
      'a/two/lib/': '',
      'a/two/env/OVR': 'ovr-two',
      'a/two/env/DEF.default': 'def-two',
      // buildpack b (later): its override wins, its prepend comes first
      'b/l/env/OVR': 'ovr-b',
      'b/l/env/LIST.prepend': 'b-pre',
      'b/l/env/LIST.delim': '|',
      'b/l/lib/': '',
      // a layer dir with spaces and glob characters in its name
      'b/odd [*] name/env/ODDNAME': 'found',
      'b/odd [*] name/env.launch/web/': '',
    })
    const bps: Buildpacks = [['a/bp', [L('a/one'), L('a/two'), L('a/missing')]], ['b', [L('b/l'), L('b/odd [*] name')]]]

    t.test('every suffix kind, values byte for byte', async (t) => {
      const r = envOf(sh, 'web', bps, { KEEP: 'from-container', FILL: '', LIST: 'mid', NODELIM: 'w', NL: 'line1' })
      t.equal(r.code, 0, r.err)
      const v = r.vars
      t.equal(v.RAW, RAW, 'quotes, $, backslashes, tabs, trailing newlines kept')
      t.equal(v.NOEOL, '  no newline at the end')
      t.equal(v.EMPTY, '')
      t.equal(v.KEEP, 'from-container', 'default does not override')
      t.equal(v.FILL, 'filled', 'default fills an empty value')
      t.equal(v.DEF, 'def-one', 'the first default wins')
      t.equal(v.LIST, 'b-pre|pre:mid:post', 'later buildpack prepends first, each with its own delimiter')
      t.equal(v.NODELIM, 'wx', 'default delimiter is empty')
      t.equal(v.NL, 'line1\nline2', 'a newline delimiter')
      t.equal(v.ODDNAME, 'found', 'layer dirs with spaces and glob characters')
      for (const n of ['ODD', 'UNKNOWN', 'A-B', '1X', '.HIDDEN', 'SUBDIR']) t.notOk(n in v, `${n} skipped`)
      t.notOk('_lading_type' in v, 'launcher names are not settable')
    })
    t.test('precedence: env < env.launch < env.launch/<type>, later layer and buildpack win', async (t) => {
      t.equal(envOf(sh, 'web', bps).vars.OVR, 'ovr-b')
      const onlyA: Buildpacks = [bps[0]!]
      t.equal(envOf(sh, 'web', onlyA).vars.OVR, 'ovr-two', 'layer two after layer one')
      const one: Buildpacks = [['a', [L('a/one')]]]
      t.equal(envOf(sh, 'web', one).vars.OVR, 'ovr-web')
      t.equal(envOf(sh, 'worker', one).vars.OVR, 'ovr-worker')
      t.equal(envOf(sh, 'other', one).vars.OVR, 'ovr-launch')
      t.equal(envOf(sh, '', one).vars.OVR, 'ovr-launch', 'no process type: no per-type dir')
      t.equal(envOf(sh, 'web', one).vars.DLIST, 'launch+web', '.delim from the same dir only')
      t.equal(envOf(sh, '', one).vars.DLIST, 'launch')
    })
    t.test('root dirs: all layers of a buildpack before its env files', async (t) => {
      const v = envOf(sh, 'web', bps, { LD_LIBRARY_PATH: '/usr/lib' }).vars
      t.equal(v.PATH, `/from-env:${L('a/two/bin')}:${L('a/one/bin')}:/usr/bin:/bin`)
      t.equal(v.LD_LIBRARY_PATH, `${L('b/l/lib')}:${L('a/two/lib')}:/usr/lib`, 'only dirs that exist')
      t.notOk('LD_LIBRARY_PATH' in envOf(sh, 'web', [['x', [L('a/one')]]]).vars)
    })
    t.test('no buildpacks, or layers without env: nothing changes', async (t) => {
      const r = envOf(sh, 'web', [], { X: '1' })
      t.equal(r.code, 0)
      const base = run(sh, harness('web', [], 'exec /usr/bin/env -0'), { X: '1' })
      t.same(r.vars, base.vars)
      t.equal(r.vars.X, '1')
      t.equal(envOf(sh, 'web', [['x', [L('nowhere')]]]).vars.PATH, '/usr/bin:/bin')
    })
    t.test('an unreadable env file stops the launch', { skip: process.getuid?.() === 0 && 'root reads everything' }, async (t) => {
      const dir = L('locked/l')
      write(root, { 'locked/l/env/SECRET': 'x' })
      const { chmodSync } = await import('node:fs')
      chmodSync(join(dir, 'env', 'SECRET'), 0)
      const r = envOf(sh, 'web', [['locked', [dir]]])
      t.equal(r.code, 82)
      t.match(r.err, /died: cannot read/)
    })
    t.test('profile.d: per layer the shared dir then the per-type dir, files in name order', async (t) => {
      write(root, {
        'p/one/profile.d/b.sh': 'ORDER="${ORDER}1b "\n',
        'p/one/profile.d/a.sh': 'ORDER="${ORDER}1a "\n',
        'p/one/profile.d/web/z.sh': 'ORDER="${ORDER}1web "\nset -- clobbered\n',
        'p/one/profile.d/worker/z.sh': 'ORDER="${ORDER}1worker "\n',
        'p/two/profile.d/a.sh': 'ORDER="${ORDER}2a "\n',
        'q/l/profile.d/a.sh': 'ORDER="${ORDER}q "\n',
        'q/l/profile.d/sub/': '',
      })
      const pb: Buildpacks = [['p', [L('p/one'), L('p/two')]], ['q', [L('q/l')]]]
      const order = (type: string) => run(sh, harness(type, pb, '_lading_buildpacks _lading_bp_profile\nprintf %s "$ORDER"')).out
      t.equal(order('web'), '1a 1b 1web 2a q ')
      t.equal(order('worker'), '1a 1b 1worker 2a q ')
      t.equal(order(''), '1a 1b 2a q ')
    })
  })
}
