import t from 'tap'
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  applyEnvOp, bakedConfig, isPortableEnvName, LAUNCH_CONFIG_FILE, launchConfigScript, launcherScript,
  LaunchConfigError, shellQuote, type EnvOp, type LaunchProcess,
} from '../../lib/launch/launcher.js'

const web: LaunchProcess = { type: 'web', command: ['node', 'server.js'], args: ['--port', '8080'], direct: true }
const worker: LaunchProcess = { type: 'worker', command: ['bin/worker'], args: [], direct: true, workingDir: '/workspace/w' }
const op = (o: Partial<EnvOp> & Pick<EnvOp, 'op' | 'name' | 'value'>): EnvOp => ({ delim: '', ...o })

t.test('shellQuote survives sh for any text', async (t) => {
  const values = ['', 'plain', "it's", "''", 'a "b" $c `d` \\e', 'line1\nline2\n', ' lead and trail ', '*?[a]~#!', 'ü € 😀']
  for (const v of values) {
    const r = spawnSync('/usr/bin/dash', ['-c', `printf %s ${shellQuote(v)}`], { encoding: 'utf8' })
    t.equal(r.stdout, v, JSON.stringify(v))
  }
  t.throws(() => shellQuote('a\0b'), { code: 'ERR_LAUNCH_CONFIG' })
})

t.test('isPortableEnvName', async (t) => {
  for (const n of ['PATH', '_x', 'A1_b']) t.ok(isPortableEnvName(n), n)
  for (const n of ['', '1A', 'A-B', 'A.B', 'A B', 'A=B', '_lading_type', 'PPID', 'UID']) t.notOk(isPortableEnvName(n), n)
})

t.test('launchConfigScript output', async (t) => {
  const input = {
    processes: [web, worker], defaultType: 'web', appDir: '/workspace',
    buildpacks: [{ id: 'a/b', layers: ['/layers/a_b/node', "/layers/a_b/it's"] }, { id: 'c', layers: [] }],
    envOps: [op({ op: 'prepend', name: 'PATH', value: '/platform/bin', delim: ':' }), op({ op: 'override', name: 'X', value: "it's", process: 'worker' })],
  }
  const s = launchConfigScript(input)
  t.equal(LAUNCH_CONFIG_FILE, 'launch.sh')
  t.equal(s, launchConfigScript(input), 'deterministic')
  t.match(s, /^_lading_format=2$/m)
  t.match(s, /^_lading_default='web'$/m)
  t.match(s, /_lading_add 'node' 'server\.js'/)
  t.match(s, /_lading_op override X 'it'\\''s' '' 'worker'/)
  t.match(s, /^  "\$1" 'a\/b' '\/layers\/a_b\/node' '\/layers\/a_b\/it'\\''s'$/m, 'layer dirs, quoted, in order')
  t.match(s, /^  "\$1" 'c'$/m)
  for (const sh of [['/usr/bin/dash'], ['/usr/bin/busybox', 'sh']]) {
    t.equal(spawnSync(sh[0]!, [...sh.slice(1), '-n', '-c', s]).status, 0, `${sh.join(' ')} parses it`)
  }
  const empty = launchConfigScript({ processes: [], buildpacks: [] })
  t.match(empty, /^_lading_default=''$/m)
  t.equal(spawnSync('/usr/bin/dash', ['-n', '-c', empty]).status, 0, 'empty tables still parse')
})

t.test('launchConfigScript rejects what the launcher cannot represent', async (t) => {
  const base = { processes: [web], envOps: [] as EnvOp[], buildpacks: [] }
  const bad: [string, Parameters<typeof launchConfigScript>[0]][] = [
    ['bad type', { ...base, processes: [{ ...web, type: 'a/b' }] }],
    ['dot type', { ...base, processes: [{ ...web, type: '..' }] }],
    ['duplicate type', { ...base, processes: [web, web] }],
    ['empty command', { ...base, processes: [{ ...web, command: [] }] }],
    ['unknown default', { ...base, defaultType: 'nope' }],
    ['bad env name', { ...base, envOps: [op({ op: 'override', name: 'A-B', value: 'x' })] }],
    ['launcher env name', { ...base, envOps: [op({ op: 'override', name: '_lading_type', value: 'x' })] }],
    ['unknown op', { ...base, envOps: [{ op: 'replace' as EnvOp['op'], name: 'A', value: 'x', delim: '' }] }],
    ['NUL in value', { ...base, envOps: [op({ op: 'override', name: 'A', value: 'x\0' })] }],
    ['NUL in arg', { ...base, processes: [{ ...web, args: ['\0'] }] }],
    ['bad op process', { ...base, envOps: [op({ op: 'override', name: 'A', value: 'x', process: 'a b' })] }],
    ['bad byProcess key', { ...base, envOpsByProcess: { 'a;b': [] } }],
    ['relative layer dir', { ...base, buildpacks: [{ id: 'a', layers: ['layers/a/b'] }] }],
    ['NUL in layer dir', { ...base, buildpacks: [{ id: 'a', layers: ['/layers/a\0'] }] }],
  ]
  for (const [name, input] of bad) {
    t.throws(() => launchConfigScript(input), LaunchConfigError, name)
  }
})

t.test('envOpsByProcess replaces the extra ops for its type (run under dash)', async (t) => {
  const dir = t.testdir()
  mkdirSync(join(dir, 'layers', 'config'), { recursive: true })
  mkdirSync(join(dir, 'workspace'))
  writeFileSync(join(dir, 'launcher'), launcherScript())
  chmodSync(join(dir, 'launcher'), 0o755)
  symlinkSync(join(dir, 'launcher'), join(dir, 'web'))
  writeFileSync(join(dir, 'layers', 'config', LAUNCH_CONFIG_FILE), launchConfigScript({
    processes: [{ type: 'web', command: ['printenv', 'V'], args: [], direct: true }],
    defaultType: 'web', appDir: join(dir, 'workspace'),
    envOps: [op({ op: 'override', name: 'V', value: 'shared' })],
    envOpsByProcess: { web: [op({ op: 'override', name: 'V', value: 'a' }), op({ op: 'append', name: 'V', value: 'b', delim: '+' })] },
    buildpacks: [],
  }))
  const env = { PATH: '/usr/bin:/bin', CNB_LAYERS_DIR: join(dir, 'layers') }
  t.equal(spawnSync(join(dir, 'web'), [], { env, encoding: 'utf8' }).stdout, 'a+b\n')
  t.equal(spawnSync(join(dir, 'launcher'), ['--', 'printenv', 'V'], { env, encoding: 'utf8' }).stdout, 'shared\n')
})

t.test('applyEnvOp', async (t) => {
  const env = new Map([['A', 'x'], ['E', '']])
  applyEnvOp(env, op({ op: 'default', name: 'A', value: 'no' }))
  applyEnvOp(env, op({ op: 'default', name: 'E', value: 'yes' }))
  applyEnvOp(env, op({ op: 'prepend', name: 'A', value: 'p', delim: ':' }))
  applyEnvOp(env, op({ op: 'append', name: 'A', value: 'q', delim: ';' }))
  applyEnvOp(env, op({ op: 'append', name: 'N', value: 'n', delim: ';' }))
  applyEnvOp(env, op({ op: 'override', name: 'O', value: 'o' }))
  t.same(Object.fromEntries(env), { A: 'p:x;q', E: 'yes', N: 'n', O: 'o' })
})

t.test('bakedConfig', async (t) => {
  const baseEnv = ['PATH=/cnb/process:/cnb/lifecycle:/usr/bin:/bin', 'HOME=/home/cnb', 'CNB_PLATFORM_API=0.13', 'KEEP=1', 'NOVALUE']
  const envOps = [
    op({ op: 'prepend', name: 'PATH', value: '/layers/a/node/bin', delim: ':' }),
    op({ op: 'override', name: 'NODE_ENV', value: 'production\nmulti "line"' }),
    op({ op: 'default', name: 'KEEP', value: '2' }),
    op({ op: 'override', name: 'JAVA-OPTS', value: 'any name works here' }),
    op({ op: 'override', name: 'W', value: 'worker only', process: 'worker' }),
  ]
  const c = bakedConfig({ processes: [web, worker], defaultType: 'web', envOps, appDir: '/workspace', baseEnv, profileScripts: ['/p.sh'] })
  t.same(c, {
    Entrypoint: ['node', 'server.js'],
    Cmd: ['--port', '8080'],
    Env: ['PATH=/layers/a/node/bin:/usr/bin:/bin', 'HOME=/home/cnb', 'KEEP=1', 'NOVALUE=', 'NODE_ENV=production\nmulti "line"', 'JAVA-OPTS=any name works here'],
    WorkingDir: '/workspace',
    warnings: ['profile script /p.sh is not sourced without a launcher'],
  })
  const w = bakedConfig({ processes: [web, worker], defaultType: 'web', processType: 'worker', envOps, appDir: '/workspace', baseEnv: [] })
  t.same(w.Entrypoint, ['bin/worker'])
  t.equal(w.WorkingDir, '/workspace/w')
  t.ok(w.Env.includes('W=worker only'))
  t.same(w.warnings, [])
  const legacy = bakedConfig({ processes: [{ ...web, appendArgs: true }], defaultType: 'web', envOps: [], appDir: '/a', baseEnv: [] })
  t.same([legacy.Entrypoint, legacy.Cmd], [['node', 'server.js', '--port', '8080'], []], 'API < 0.9 args are fixed')
  const by = bakedConfig({ processes: [web], defaultType: 'web', envOps, envOpsByProcess: { web: [op({ op: 'override', name: 'Z', value: 'z' })] }, appDir: '/a', baseEnv: [] })
  t.same(by.Env, ['Z=z'])
  t.throws(() => bakedConfig({ processes: [web], envOps: [], appDir: '/a', baseEnv: [] }), { code: 'ERR_LAUNCH_CONFIG' }, 'no default')
  t.throws(() => bakedConfig({ processes: [web], processType: 'nope', envOps: [], appDir: '/a', baseEnv: [] }), { code: 'ERR_LAUNCH_CONFIG' })
  t.throws(() => bakedConfig({ processes: [{ ...web, direct: false }], defaultType: 'web', envOps: [], appDir: '/a', baseEnv: [] }),
    /shell process/, 'a shell process needs a shell')
})
