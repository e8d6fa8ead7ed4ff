import t from 'tap'
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { launcherScript, LAUNCHER_PATH, PROCESS_DIR } from '../../lib/launch/script.js'
import { launchConfigScript, type LaunchConfigInput } from '../../lib/launch/launcher.js'

// The launcher runs on the host here: CNB_LAYERS_DIR/CNB_APP_DIR point at a temp tree, and a
// process/ dir holds the <type> links, as /cnb/process does in an image.
const SHELLS: [string, string[]][] = [['dash', ['/usr/bin/dash']], ['busybox sh', ['/usr/bin/busybox', 'sh']]]

interface Tree { root: string; layers: string; app: string; launcher: string; proc: (type: string) => string }

function tree(dir: string, config: Omit<LaunchConfigInput, 'appDir'>, files: Record<string, string> = {}): Tree {
  const layers = join(dir, 'layers')
  const app = join(dir, 'workspace')
  mkdirSync(join(layers, 'config'), { recursive: true })
  mkdirSync(join(app, 'sub dir'), { recursive: true })
  mkdirSync(join(dir, 'process'))
  const launcher = join(dir, 'launcher')
  writeFileSync(launcher, launcherScript())
  chmodSync(launcher, 0o755)
  for (const p of config.processes) symlinkSync(launcher, join(dir, 'process', p.type))
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true })
    writeFileSync(join(dir, rel), text)
  }
  writeFileSync(join(layers, 'config', 'launch.sh'), launchConfigScript({ ...config, appDir: app }))
  return { root: dir, layers, app, launcher, proc: (type) => join(dir, 'process', type) }
}

function run(shell: string[], tr: Tree, argv0: string, args: string[], env: Record<string, string> = {}) {
  const [exe, ...pre] = shell
  const r = spawnSync(exe!, [...pre, argv0, ...args], {
    cwd: tr.root,
    env: {
      PATH: '/cnb/process:/cnb/lifecycle:/usr/bin:/bin',
      CNB_LAYERS_DIR: tr.layers,
      CNB_PLATFORM_API: '0.13',
      CNB_DEPRECATION_MODE: 'quiet',
      ...env,
    },
    encoding: 'utf8',
  })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

const TRICKY = `it's "quoted" $HOME \`x\` \\n back\\slash\nsecond line  `

t.test('constants and text', async (t) => {
  t.equal(LAUNCHER_PATH, '/cnb/lifecycle/launcher')
  t.equal(PROCESS_DIR, '/cnb/process')
  const s = launcherScript()
  t.ok(s.startsWith('#!/bin/sh\n'))
  t.equal(s, launcherScript(), 'identical every time (a shared layer)')
  t.notMatch(s, /\t|[ ]\n/, 'no tabs or trailing spaces')
  t.notMatch(s, /\[\[|\blocal\b|\bfunction\b|<<<|\$\{[^}]*\/\//, 'no bash-isms')
  for (const [name, sh] of SHELLS) {
    const r = spawnSync(sh[0]!, [...sh.slice(1), '-n', '-c', s])
    t.equal(r.status, 0, `${name} parses it`)
  }
})

for (const [name, sh] of SHELLS) {
  t.test(`under ${name}`, async (t) => {
    const layer = (rel: string) => join(t.testdirName, 'layers', rel)
    const tr = tree(t.testdir(), {
      defaultType: 'web',
      processes: [
        { type: 'web', command: ['printf', '%s|'], args: ['a', 'b c'], direct: true },
        { type: 'multi', command: ['printf', '[%s]', 'fixed'], args: ['d1', 'd2'], direct: true },
        { type: 'legacy-append', command: ['printf', '<%s>'], args: ['x'], direct: true, appendArgs: true },
        { type: 'legacy.shell', command: ['echo'], args: ['$FOO'], direct: false },
        { type: 'wd', command: ['pwd'], args: [], direct: true, workingDir: 'SUB' },
        { type: 'fail', command: ['sh', '-c', 'exit 42'], args: [], direct: true },
        { type: 'missing', command: ['no-such-program-xyz'], args: [], direct: true },
        { type: 'env', command: ['printenv'], args: [], direct: true },
        { type: 'order', command: ['printenv'], args: ['ORDER'], direct: false },
        { type: 'show', command: ['sh', '-c', 'printf "%s\\n" "$1"', 'sh'], args: ['$FOO'], direct: true },
      ].map((p) => (p.workingDir ? { ...p, workingDir: join(t.testdirName, 'workspace', 'sub dir') } : p)),
      buildpacks: [
        { id: 'acme/node', layers: [layer('acme_node/node'), layer('acme_node/runtime')] },
        { id: 'acme/web', layers: [layer('acme_web/srv')] },
      ],
      // Extra ops (platform values) come after every layer's env files.
      envOps: [{ op: 'append', name: 'PRE', value: 'platform', delim: ':' }],
    }, {
      'layers/acme_node/node/bin/from-layer': '#!/bin/sh\necho "layer bin: $*"\n',
      'layers/acme_node/node/env/FOO': 'foo-value',
      'layers/acme_node/node/env/TRICKY': TRICKY + '\n',
      'layers/acme_node/node/env/KEEP.default': 'from-default',
      'layers/acme_node/node/env/FRESH.default': 'from-default',
      'layers/acme_node/runtime/env/FRESH.default': 'second-default',
      'layers/acme_node/node/env/LIST.prepend': 'pre',
      'layers/acme_node/node/env/LIST.delim': ':',
      'layers/acme_node/runtime/env/LIST.append': 'post',
      'layers/acme_node/runtime/env/LIST.delim': ';',
      'layers/acme_node/node/env/EMPTYPRE.prepend': 'only',
      'layers/acme_node/node/env/NODELIM.prepend': 'a',
      'layers/acme_node/node/env/NODELIM.append': 'b',
      'layers/acme_node/node/env.launch/env/ONLY_ENV': 'for env process',
      'layers/acme_node/node/env/OVR': 'node',
      'layers/acme_web/srv/env/OVR': 'web-bp',
      'layers/acme_node/node/env/PRE.prepend': 'n',
      'layers/acme_node/node/env/PRE.delim': ':',
      'layers/acme_web/srv/env/PRE.prepend': 'w',
      'layers/acme_web/srv/env/PRE.delim': ':',
      'layers/acme_node/node/profile.d/one.sh': 'export ORDER="${ORDER:-}one"\n',
      'layers/acme_node/node/profile.d/order/two.sh': 'export ORDER="${ORDER}two"\n',
      'layers/acme_web/srv/profile.d/three.sh': 'export ORDER="${ORDER}three"\n',
      'workspace/.profile': 'export ORDER="${ORDER}app"\nexport SEEN_PRE="$PRE"\n',
    })
    chmodSync(join(tr.layers, 'acme_node', 'node', 'bin', 'from-layer'), 0o755)

    t.test('a bare launcher has no default process to fall back on (the lifecycle rule)', async (t) => {
      t.same(run(sh, tr, tr.launcher, []), { code: 82, out: '', err: 'ERROR: failed to launch: determine start command: when there is no default process a command is required\n' })
    })
    t.test('process type from the link name; user args replace args', async (t) => {
      t.equal(run(sh, tr, tr.proc('web'), []).out, 'a|b c|')
      t.equal(run(sh, tr, tr.proc('web'), ['x y', '$FOO', '']).out, 'x y|$FOO||')
      t.equal(run(sh, tr, tr.proc('multi'), []).out, '[fixed][d1][d2]', 'command[1:] then args')
      t.equal(run(sh, tr, tr.proc('multi'), ['u']).out, '[fixed][u]', 'command[1:] then user args')
      t.equal(run(sh, tr, tr.proc('legacy-append'), ['y']).out, '<x><y>', 'API < 0.9: appended')
    })
    t.test('shell processes and user commands expand $VAR', async (t) => {
      t.equal(run(sh, tr, tr.proc('legacy.shell'), []).out, 'foo-value\n')
      t.equal(run(sh, tr, tr.launcher, ['printf', '%s|', '$FOO', 'a b']).out, 'foo-value|a b|', 'token boundaries kept')
      t.equal(run(sh, tr, tr.launcher, ['echo "$FOO and $KEEP"; exit 3'], { KEEP: 'k' }).code, 3, 'one token: a script')
      t.equal(run(sh, tr, tr.launcher, ['echo "$FOO and $KEEP"'], { KEEP: 'k' }).out, 'foo-value and k\n')
      t.equal(run(sh, tr, tr.launcher, ['from-layer', 'z']).out, 'layer bin: z\n', 'found on the modified PATH')
    })
    t.test('-- runs the command directly, no expansion', async (t) => {
      t.same(run(sh, tr, tr.launcher, ['--', 'printf', '%s|', '$FOO', "it's"]), { code: 0, out: "$FOO|it's|", err: '' })
    })
    t.test('layer env files of every kind, read at launch, values byte for byte', async (t) => {
      const r = run(sh, tr, tr.proc('show'), [])
      t.equal(r.out, '$FOO\n', 'direct processes get their args unexpanded')
      const env = (name: string, extra: Record<string, string> = {}) =>
        run(sh, tr, tr.proc('env'), [name], extra)
      t.equal(env('TRICKY').out, TRICKY + '\n\n', 'trailing newline kept')
      t.equal(env('FOO').out, 'foo-value\n')
      t.equal(env('KEEP', { KEEP: 'from-container' }).out, 'from-container\n', 'default does not override')
      t.equal(env('KEEP', { KEEP: '' }).out, 'from-default\n', 'default fills an empty value')
      t.equal(env('FRESH').out, 'from-default\n', 'first default wins')
      t.equal(env('LIST', { LIST: 'mid' }).out, 'pre:mid;post\n')
      t.equal(env('LIST').out, 'pre;post\n', 'no delimiter before an empty value')
      t.equal(env('EMPTYPRE').out, 'only\n')
      t.equal(env('NODELIM').out, 'ab\n', 'empty default delimiter')
      t.equal(env('PATH').out, `${join(tr.layers, 'acme_node', 'node', 'bin')}:/usr/bin:/bin\n`, 'layer bin; /cnb dirs dropped')
      t.equal(env('OVR').out, 'web-bp\n', 'a later buildpack overrides')
      t.equal(env('PRE').out, 'w:n:platform\n', 'a later buildpack prepends first; extra ops last')
      t.equal(env('ONLY_ENV').out, 'for env process\n', 'env.launch/<type>/ applies to its type')
      t.equal(run(sh, tr, tr.launcher, ['--', 'printenv', 'ONLY_ENV']).code, 1, 'and only to it')
    })
    t.test('platform variables are removed', async (t) => {
      const out = run(sh, tr, tr.proc('env'), [], { CNB_APP_DIR: tr.app }).out
      for (const v of ['CNB_LAYERS_DIR', 'CNB_APP_DIR', 'CNB_PLATFORM_API', 'CNB_DEPRECATION_MODE', 'CNB_PROCESS_TYPE']) {
        t.notMatch(out, new RegExp(`^${v}=`, 'm'), v)
      }
      t.notMatch(out, /^_lading/m, 'no launcher internals exported')
    })
    t.test('shell processes: profile.d scripts then the app .profile are sourced', async (t) => {
      t.equal(run(sh, tr, tr.proc('order'), []).out, 'onetwothreeapp\n')
      t.equal(run(sh, tr, tr.launcher, ['printenv', 'ORDER']).out, 'onethreeapp\n', 'profile.d/<type>/ only for its type')
      t.equal(run(sh, tr, tr.launcher, ['printenv', 'SEEN_PRE']).out, 'w:n:platform\n', 'after all env')
    })
    t.test('direct processes and -- run no profile', async (t) => {
      t.same(run(sh, tr, tr.proc('env'), ['ORDER']), { code: 1, out: '', err: '' })
      t.same(run(sh, tr, tr.launcher, ['--', 'printenv', 'ORDER']), { code: 1, out: '', err: '' })
    })
    t.test('files written after the configuration are seen (nothing is precomputed)', async (t) => {
      const dir = join(tr.layers, 'acme_web', 'srv', 'env.launch', 'env')
      mkdirSync(dir, { recursive: true })
      writeFileSync(join(dir, 'LATE'), 'late value\n')
      t.equal(run(sh, tr, tr.proc('env'), ['LATE']).out, 'late value\n\n')
      rmSync(dir, { recursive: true })
    })
    t.test('working directory', async (t) => {
      t.equal(run(sh, tr, tr.proc('wd'), []).out, join(tr.app, 'sub dir') + '\n')
      t.equal(run(sh, tr, tr.launcher, ['--', 'pwd']).out, tr.app + '\n', 'app dir by default')
    })
    t.test('exit codes', async (t) => {
      t.equal(run(sh, tr, tr.proc('fail'), []).code, 42, "the process's own")
      const missing = run(sh, tr, tr.proc('missing'), [])
      t.equal(missing.code, 82)
      t.match(missing.err, /path lookup: exec: "no-such-program-xyz": executable file not found/)
      t.equal(run(sh, tr, tr.launcher, ['--', 'nope-xyz']).code, 82)
      t.equal(run(sh, tr, tr.launcher, ['nope-xyz']).code, 127, 'a shell command: the shell reports it')
      t.not(run(sh, tr, tr.launcher, ['--']).code, 0, 'a lone -- is a shell command, as in the lifecycle')
      t.equal(run(sh, tr, tr.launcher, [], { CNB_LAYERS_DIR: join(tr.root, 'nowhere') }).code, 82, 'no config')
    })
  })
}

t.test('no default process and no command: exit 82 with a message', async (t) => {
  const tr = tree(t.testdir(), { processes: [{ type: 'web', command: ['true'], args: [], direct: true }], buildpacks: [] })
  const r = run(['/usr/bin/dash'], tr, tr.launcher, [])
  t.equal(r.code, 82)
  t.match(r.err, /when there is no default process a command is required/)
  t.equal(run(['/usr/bin/dash'], tr, tr.proc('web'), []).code, 0)
})

t.test('runs through its #! line, and CNB_APP_DIR moves the app', async (t) => {
  const tr = tree(t.testdir(), { processes: [{ type: 'web', command: ['pwd'], args: [], direct: true }], defaultType: 'web', buildpacks: [] })
  const other = join(tr.root, 'other-app')
  mkdirSync(other)
  const r = spawnSync(tr.proc('web'), [], { env: { PATH: '/usr/bin:/bin', CNB_LAYERS_DIR: tr.layers, CNB_APP_DIR: other }, encoding: 'utf8' })
  t.equal(r.status, 0)
  t.equal(r.stdout, other + '\n')
})
