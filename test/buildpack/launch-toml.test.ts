import t from 'tap'
import { isValidProcessType, mergeLabels, mergeProcesses, parseLaunchToml, type ProcessDef } from '../../lib/buildpack/index.js'

const P = '/layers/acme_node/launch.toml'
const BP = { id: 'acme/node', api: '0.10' }

t.test('parses processes, labels and slices (API >= 0.9)', async (t) => {
  const l = parseLaunchToml(`
[[labels]]
key = "org.example.runtime"
value = "node"
[[processes]]
type = "web"
command = ["node", "server.js"]
args = ["--port", "8080"]
default = true
working-dir = "/workspace/api"
exec-env = ["production"]
[[processes]]
type = "worker.v2"
command = ["node"]
[[slices]]
paths = ["public/**", "static/*"]
`, P, BP)
  t.same(l.labels, [{ key: 'org.example.runtime', value: 'node' }])
  t.same(l.slices, [{ paths: ['public/**', 'static/*'] }])
  t.same(l.processes[0], {
    type: 'web', command: ['node', 'server.js'], args: ['--port', '8080'], direct: true, default: true,
    workingDir: '/workspace/api', execEnv: ['production'], buildpackId: 'acme/node', buildpackApi: '0.10',
  })
  t.same(l.processes[1], { type: 'worker.v2', command: ['node'], args: [], direct: true, default: false, buildpackId: 'acme/node', buildpackApi: '0.10' })
  t.same(parseLaunchToml('', P, BP), { processes: [], labels: [], slices: [] })
})

t.test('API < 0.9: string command plus direct', async (t) => {
  t.equal(parseLaunchToml('[[processes]]\ntype = "w"\ncommand = "x"\nworking-dir = "/w"', P, { id: 'o', api: '0.7' }).processes[0]?.workingDir,
    undefined, 'working-dir ignored before API 0.8')
  const bp = { id: 'old', api: '0.8' }
  const l = parseLaunchToml(`
[[processes]]
type = "web"
command = "bundle exec rails s"
args = ["-p", "80"]
[[processes]]
type = "direct"
command = "/bin/server"
direct = true
working-dir = "/srv"
`, P, bp)
  t.equal(l.processes[1]?.workingDir, '/srv')
  t.same(l.processes.map((p) => [p.type, p.command, p.args, p.direct]), [
    ['web', ['bundle exec rails s'], ['-p', '80'], false],
    ['direct', ['/bin/server'], [], true],
  ])
})

t.test('rejects malformed launch.toml naming file and key', async (t) => {
  const cases: [string, { id: string; api: string }, string | undefined, RegExp][] = [
    ['[[processes]]\ncommand = ["x"]', BP, 'processes[0].type', /required/],
    ['[[processes]]\ntype = "a/b"\ncommand = ["x"]', BP, 'processes[0].type', /characters/],
    ['[[processes]]\ntype = "a:b"\ncommand = ["x"]', BP, 'processes[0].type', /characters/],
    ['[[processes]]\ntype = "w"\ncommand = "x"', BP, 'processes[0].command', /array/],
    ['[[processes]]\ntype = "w"\ncommand = []', BP, 'processes[0].command', /non-empty/],
    ['[[processes]]\ntype = "w"', BP, 'processes[0].command', /non-empty/],
    ['[[processes]]\ntype = "w"\ncommand = ["x"]\ndirect = true', BP, 'processes[0].direct', /not allowed/],
    ['[[processes]]\ntype = "w"\ncommand = ["x"]', { id: 'o', api: '0.8' }, 'processes[0].command', /string/],
    ['[[processes]]\ntype = "w"\ncommand = ["x"]\ndefault = 1', BP, 'processes[0].default', /boolean/],
    ['[[processes]]\ntype = "a"\ncommand = ["x"]\ndefault = true\n[[processes]]\ntype = "b"\ncommand = ["y"]\ndefault = true', BP, 'processes.default', /only one/],
    ['[[labels]]\nvalue = "x"', BP, 'labels[0].key', /required/],
    ['[[slices]]\npaths = "x"', BP, 'slices[0].paths', /array/],
    ['processes = 1', BP, 'processes', /array of tables/],
    ['[[processes]', BP, undefined, /invalid TOML/],
  ]
  for (const [text, bp, key, re] of cases) {
    t.throws(() => parseLaunchToml(text, P, bp), { code: 'ERR_BUILDPACK_LAUNCH_TOML', key, path: P, message: re }, text)
  }
  t.ok(isValidProcessType('web-1_x.y'))
  t.notOk(isValidProcessType(''))
  t.notOk(isValidProcessType('a b'))
})

const proc = (type: string, bp: string, def = false): ProcessDef => ({
  type, command: [type], args: [], direct: true, default: def, buildpackId: bp, buildpackApi: '0.10',
})

t.test('mergeProcesses: later wins, sorted, default rules', async (t) => {
  const m = mergeProcesses([[proc('web', 'a', true), proc('worker', 'a')], [proc('cli', 'b'), proc('worker', 'b')]])
  t.same(m.processes.map((p) => `${p.type}:${p.buildpackId}`), ['cli:b', 'web:a', 'worker:b'])
  t.equal(m.defaultType, 'web')
  t.same(m.warnings, [])

  const later = mergeProcesses([[proc('web', 'a', true)], [proc('worker', 'b', true)]])
  t.equal(later.defaultType, 'worker', 'last default wins')

  const cleared = mergeProcesses([[proc('web', 'a', true)], [proc('web', 'b')]])
  t.equal(cleared.defaultType, undefined)
  t.equal(cleared.processes[0]?.buildpackId, 'b')
  t.equal(cleared.warnings.length, 1)
  t.match(cleared.warnings[0], /web/)

  const redefinedAsDefault = mergeProcesses([[proc('web', 'a', true)], [proc('web', 'b', true)]])
  t.equal(redefinedAsDefault.defaultType, 'web')
  t.same(redefinedAsDefault.warnings, [])

  const otherType = mergeProcesses([[proc('web', 'a', true)], [proc('worker', 'b')]])
  t.equal(otherType.defaultType, 'web', 'a non-default of another type keeps the default')
  t.same(mergeProcesses([]), { processes: [], defaultType: undefined, warnings: [] })
})

t.test('mergeLabels: last writer wins', async (t) => {
  t.same(mergeLabels([[{ key: 'a', value: '1' }, { key: 'b', value: '2' }], [{ key: 'a', value: '3' }]]), [
    { key: 'a', value: '3' }, { key: 'b', value: '2' },
  ])
})
