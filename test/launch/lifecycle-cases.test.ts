// The lifecycle's own launcher acceptance cases (buildpacks/lifecycle acceptance/launcher_test.go),
// run against our sh launcher with that test's fixture (fixtures/lifecycle-launcher, see ORIGIN.md)
// under dash and busybox sh. Each case holds the full expected output, not just a substring.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs'
import { join } from 'node:path'
import TOML from '@iarna/toml'
import { launcherScript } from '../../lib/launch/script.js'
import { launchConfigScript, type LaunchProcess } from '../../lib/launch/launcher.js'

const FIXTURE = join(import.meta.dirname, 'fixtures', 'lifecycle-launcher')
const SHELLS: [string, string[]][] = [['dash', ['/usr/bin/dash']], ['busybox sh', ['/usr/bin/busybox', 'sh']]]

interface Md {
  buildpacks: { id: string; api: string }[]
  processes: { type: string; command: string | string[]; args?: string[]; direct?: boolean; 'buildpack-id': string }[]
}

/** Lays the fixture out as the image does: /layers, /workspace, /cnb/process/<type> links. */
function image(dir: string) {
  cpSync(FIXTURE, dir, { recursive: true })
  const layers = join(dir, 'layers')
  const md = TOML.parse(readFileSync(join(layers, 'config', 'metadata.toml'), 'utf8')) as unknown as Md
  const apiOf = (id: string) => md.buildpacks.find((b) => b.id === id)!.api
  const processes: LaunchProcess[] = md.processes.map((p) => ({
    type: p.type,
    command: Array.isArray(p.command) ? p.command : [p.command],
    args: p.args ?? [],
    direct: p.direct ?? true,
    ...(Number(apiOf(p['buildpack-id']).split('.')[1]) < 9 ? { appendArgs: true } : {}),
  }))
  const buildpacks = md.buildpacks.map((b) => {
    const bpDir = join(layers, b.id.replace(/\//g, '_'))
    let names: string[] = []
    try { names = readdirSync(bpDir).sort() } catch { /* no layers */ }
    return { id: b.id, layers: names.map((n) => join(bpDir, n)) }
  })
  const app = join(dir, 'workspace')
  writeFileSync(join(layers, 'config', 'launch.sh'), launchConfigScript({ processes, buildpacks, appDir: app }))
  const launcher = join(dir, 'launcher')
  writeFileSync(launcher, launcherScript())
  chmodSync(launcher, 0o755)
  mkdirSync(join(dir, 'process'))
  for (const p of processes) symlinkSync(launcher, join(dir, 'process', p.type))
  return { layers, app, launcher, proc: (type: string) => join(dir, 'process', type) }
}

for (const [name, sh] of SHELLS) {
  t.test(`lifecycle launcher acceptance cases under ${name}`, async (t) => {
    const img = image(t.testdir())
    const run = (argv0: string, args: string[], env: Record<string, string> = {}) => {
      const r = spawnSync(sh[0]!, [...sh.slice(1), argv0, ...args], {
        env: { PATH: '/cnb/process:/cnb/lifecycle:/usr/local/bin:/usr/bin:/bin', CNB_LAYERS_DIR: img.layers, CNB_PLATFORM_API: '0.13', ...env },
        encoding: 'utf8',
      })
      return { code: r.status, out: r.stdout, err: r.stderr }
    }
    // The fixture's exec.d helper runs on every launch, as in the lifecycle's test image.
    const execd = `${join(img.layers, '0.9_buildpack', 'some_layer', 'exec.d')}/helper was executed\nExec.d Working Dir: ${img.app}\n`
    const ok = (out: string) => ({ code: 0, out: execd + out, err: '' })
    const profiles = 'sourced bp profile\nsourced app profile\n'

    t.test('exec.d: runs the programs and sets env before the profiles', async (t) => {
      const d = join(img.layers, '0.9_buildpack', 'some_layer', 'exec.d')
      t.same(run(img.proc('exec.d-checker'), [], { CNB_PLATFORM_API: '0.7', VAR_FROM_EXEC_D: 'orig-val' }), ok(
        `${d}/exec.d-checker/helper was executed\nExec.d Working Dir: ${img.app}\n` +
        profiles + 'VAR_FROM_EXEC_D: orig-val:val-from-exec.d:val-from-exec.d-for-process-type-exec.d-checker'))
    })
    t.test('entrypoint is a process: launches it (also with a period in its name)', async (t) => {
      t.same(run(img.proc('web'), []), ok(profiles + 'Executing web process-type\n'))
      t.same(run(img.proc('process.with.period'), []), ok(profiles + 'Executing process.with.period process-type\n'))
    })
    t.test('entrypoint is a process: user args are appended (Buildpack API < 0.9)', async (t) => {
      t.same(run(img.proc('web'), ['with user provided args']), ok(profiles + 'Executing web process-type with user provided args\n'))
    })
    t.test('a direct process runs no profile', async (t) => {
      t.same(run(img.proc('direct-process'), []), ok('Executing direct-process process-type\n'))
    })
    t.test('CNB_PROCESS_TYPE: two warnings, no default process, exit 82', async (t) => {
      t.same(run(img.launcher, [], { CNB_PROCESS_TYPE: 'direct-process' }), {
        code: 82,
        out: '',
        err: 'Warning: CNB_PROCESS_TYPE is not supported in Platform API 0.13\n' +
          "Warning: Run with ENTRYPOINT 'direct-process' to invoke the 'direct-process' process type\n" +
          'ERROR: failed to launch: determine start command: when there is no default process a command is required\n',
      })
    })
    t.test('CNB_PROCESS_TYPE with a process entrypoint: warned about, the entrypoint wins', async (t) => {
      const r = run(img.proc('direct-process'), [], { CNB_PROCESS_TYPE: 'web' })
      t.equal(r.code, 0)
      t.equal(r.out, execd + 'Executing direct-process process-type\n')
      t.match(r.err, /^Warning: CNB_PROCESS_TYPE is not supported/)
    })
    t.test('a bare launcher: exit 82 even though processes exist', async (t) => {
      t.same(run(img.launcher, []), { code: 82, out: '', err: 'ERROR: failed to launch: determine start command: when there is no default process a command is required\n' })
    })
    t.test('CMD not a process type: sources the profiles and runs it in a shell', async (t) => {
      t.same(run(img.launcher, ['echo', 'something']), ok(profiles + 'something\n'))
      t.same(run(img.launcher, ['echo', '$SOME_VAR', '$OTHER_VAR', '$WORKER_VAR']), ok(profiles + 'some-bp-val other-bp-val worker-no-process-val\n'))
      t.same(run(img.launcher, ['echo', '$SOME_USER_VAR, $CNB_APP_DIR, $OTHER_VAR'], { CNB_APP_DIR: img.app, SOME_USER_VAR: 'some-user-val', OTHER_VAR: 'other-user-val' }),
        ok(profiles + 'some-user-val, , other-user-val**other-bp-val\n'), 'user env passes, CNB_APP_DIR does not')
      t.same(run(img.launcher, ['bp-executable']), ok(profiles + 'bp executable\n'), 'layer bin dirs on PATH')
    })
    t.test('CMD starting with --: runs it directly, with no profile', async (t) => {
      t.same(run(img.launcher, ['--', 'echo', 'something']), ok('something\n'))
      const env = run(img.launcher, ['--', 'env'], { CNB_APP_DIR: img.app, SOME_USER_VAR: 'some-user-val' })
      t.equal(env.code, 0)
      for (const line of ['SOME_VAR=some-bp-val', 'OTHER_VAR=other-bp-val', 'SOME_USER_VAR=some-user-val']) t.match(env.out, `\n${line}\n`.slice(1), line)
      t.notMatch(env.out, /CNB_APP_DIR|VAR_FROM_PROFILE|sourced/, 'no CNB_APP_DIR, no profile ran')
      t.same(run(img.launcher, ['--', 'bp-executable']), ok('bp executable\n'), 'layer bin dirs on PATH before the lookup')
    })
    // Cases from the same fixture's processes that the acceptance test leaves to unit tests.
    t.test('shell process types: args are expanded words; no args is a script', async (t) => {
      const vars = { VAR1: 'a b', VAR2: 'c' }
      t.same(run(img.proc('indirect-process-with-args'), [], vars), ok(profiles + "'a b' 'c'"))
      t.same(run(img.proc('indirect-process-with-script'), [], vars), ok(profiles + "'a b' 'c'"))
      t.same(run(img.proc('profile-checker'), []), ok('sourced bp profile\nsourced bp profile-checker profile\nsourced app profile\nval-from-profile\n'))
      t.same(run(img.proc('worker'), []), ok(profiles + 'worker-process-val\n'), 'env.launch/<type>/ wins for its type')
    })
    t.test('a missing command: direct → 82 with the lookup error; shell → the shell\'s 127', async (t) => {
      const d = run(img.launcher, ['--', 'no-such-cmd-xyz'])
      t.same([d.code, d.err], [82, 'ERROR: failed to launch: path lookup: exec: "no-such-cmd-xyz": executable file not found in $PATH\n'])
      t.equal(run(img.launcher, ['no-such-cmd-xyz', 'arg']).code, 127)
      t.equal(run(img.launcher, ['no-such-cmd-xyz']).code, 127)
    })
  })
}
