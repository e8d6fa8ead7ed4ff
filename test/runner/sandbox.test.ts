import t from 'tap'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bwrapArgs, createSandboxRunner, probeSandbox, type SandboxOptions } from '../../lib/runner/sandbox.js'
import type { RunOptions } from '../../lib/runner/types.js'
import { stageParent } from '../../lib/runner/privilege.js'

const ENV = { PATH: '/usr/bin:/bin' }
// tap's process-info hook adds these to every child spawned under test; lading adds nothing
const TAP_INJECTED = /^(NODE_OPTIONS|_TAPJS_[A-Z_]+_)=/

/** One run in a runner of its own, closed afterwards (a build closes its runner when done). */
async function runOnce(opts: SandboxOptions, file: string, args: string[], o: RunOptions) {
  const runner = createSandboxRunner(opts)
  try {
    return await runner.run(file, args, o)
  } finally {
    await runner.close()
  }
}

async function sh(opts: SandboxOptions, script: string, extra: { cwd?: string; env?: Record<string, string>; signal?: AbortSignal; onOutput?: (c: string) => void } = {}) {
  let out = ''
  const r = await runOnce(opts, 'sh', ['-c', script], {
    cwd: extra.cwd ?? '/', env: extra.env ?? ENV, ...(extra.signal ? { signal: extra.signal } : {}),
    onOutput: (c) => { out += c; extra.onOutput?.(c) },
  })
  return { code: r.exitCode, out }
}

t.test('identity, binds, read-only host root, ownership', async (t) => {
  const dir = t.testdir({ ws: {}, bp: { 'buildpack.toml': 'x' }, layers: {} })
  const opts: SandboxOptions = {
    binds: [
      { source: join(dir, 'ws'), target: '/workspace' },
      { source: join(dir, 'layers'), target: '/layers' },
      { source: join(dir, 'bp'), target: '/cnb/buildpacks/acme_node/1.0.0', readOnly: true },
    ],
    uid: 1000, gid: 1001, network: false,
  }
  const r = await sh(opts, 'id -u; id -g; pwd; echo hi > /workspace/made; mkdir /layers/acme_node; cat /cnb/buildpacks/acme_node/1.0.0/buildpack.toml; echo', { cwd: '/workspace' })
  t.same(r, { code: 0, out: '1000\n1001\n/workspace\nx\n' })
  const made = statSync(join(dir, 'ws', 'made'))
  // as root, buildpacks run as the build user's own host ids; otherwise as the user running lading
  const root = process.getuid!() === 0
  t.equal(made.uid, root ? 1000 : process.getuid!(), 'written files belong to the unprivileged host user the sandbox runs as')
  t.equal(made.gid, root ? 1001 : process.getgid!())
  t.equal(readFileSync(join(dir, 'ws', 'made'), 'utf8'), 'hi\n')
  t.ok(statSync(join(dir, 'layers', 'acme_node')).isDirectory())
  for (const target of ['/etc/lading-x', '/usr/lading-x', '/lading-x', '/cnb/buildpacks/acme_node/1.0.0/y', '/cnb/lading-x', dir + '/lading-x']) {
    t.not((await sh(opts, `touch ${target}`)).code, 0, `${target} is not writable`)
  }
  t.equal((await sh(opts, 'touch /tmp/scratch && ls -ld /tmp')).out.slice(0, 10), 'drwxrwxrwt', 'a private writable /tmp')
  t.same(readdirSync(join(dir, 'bp')), ['buildpack.toml'])
})

t.test('one runner, many runs: what lading writes between runs is the build user\'s; close() removes the stage', async (t) => {
  const dir = t.testdir({ ws: {}, layers: {} })
  const runner = createSandboxRunner({
    binds: [{ source: join(dir, 'ws'), target: '/workspace' }, { source: join(dir, 'layers'), target: '/layers' }], uid: 1000, gid: 1000, network: false,
  })
  const run = async (script: string) => {
    let out = ''
    const r = await runner.run('sh', ['-c', script], { cwd: '/workspace', env: ENV, onOutput: (c) => (out += c) })
    return { code: r.exitCode, out }
  }
  await runner.prepare()
  t.same(await run('echo 1 > one && echo ok'), { code: 0, out: 'ok\n' })
  // what lading writes before the next buildpack runs (as root, when it runs as root)
  mkdirSync(join(dir, 'layers', 'bp'))
  writeFileSync(join(dir, 'layers', 'bp', 'plan.toml'), 'x\n')
  t.same(await run('echo y >> /layers/bp/plan.toml && mkdir /layers/bp/l && cat one /layers/bp/plan.toml'), { code: 0, out: '1\nx\ny\n' })
  const stageName = /\/(lading-sandbox-[A-Za-z0-9]+)\//.exec((await run('cat /proc/self/mountinfo')).out)?.[1]
  const stage = stageName && [tmpdir(), '/tmp', '/var/tmp', '/dev/shm'].map((p) => join(p, stageName)).find((p) => existsSync(p))
  const root = process.getuid!() === 0
  t.equal(!!stage, root, 'as root, the runs share one prepared stage')
  await runner.close()
  if (stage) t.notOk(existsSync(stage), 'close() removes it')
  t.same(await run('cat one'), { code: 0, out: '1\n' }, 'a closed runner prepares again at its next run')
  await runner.close()
})

t.test('only system directories of the host, without secrets', async (t) => {
  const opts: SandboxOptions = { binds: [], uid: 1000, gid: 1000, network: false }
  const r = await sh(opts, 'ls -A /; for p in /root /home /run /var /etc/shadow /etc/gshadow /etc/sudoers; do test -e $p && echo "$p is there"; done; echo end')
  t.same(r.out.split('\n').filter((l) => l && l !== 'end').filter((l) => !['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32', 'usr', 'etc', 'opt', 'proc', 'dev', 'tmp'].includes(l)), [])
  t.match(r.out, /end\n$/)
  const custom = await sh({ ...opts, hide: ['/etc'] }, 'test -e /etc || echo no-etc')
  t.equal(custom.out, 'no-etc\n')
})

t.test('env is exactly the given one', async (t) => {
  process.env.LADING_TEST_SECRET = 'registry-password'
  t.teardown(() => { delete process.env.LADING_TEST_SECRET })
  let out = ''
  await runOnce({ binds: [], uid: 1000, gid: 1000, network: false }, 'env', ['-0'], {
    cwd: '/', env: { PATH: '/usr/bin:/bin', CNB_X: 'a b\nc' }, onOutput: (c) => (out += c),
  })
  t.notMatch(out, /registry-password/)
  t.same(out.split('\0').filter((l) => l && !TAP_INJECTED.test(l)).sort(), ['CNB_X=a b\nc', 'PATH=/usr/bin:/bin', 'PWD=/'],
    'plus PWD, which bwrap sets to the working dir')
  const argv = await bwrapArgs({ binds: [], uid: 1000, gid: 1000, network: false }, 'env', [], '/')
  t.notOk(argv.some((a) => a.includes('CNB_X')), 'values never go through argv')
})

t.test('exit code', async (t) => {
  t.equal((await sh({ binds: [], uid: 1000, gid: 1000, network: false }, 'exit 7')).code, 7)
})

t.test('network only with network: true', async (t) => {
  const server = createServer((_req, res) => res.end('pong'))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const port = (server.address() as AddressInfo).port
  const probe = `exec 3<>/dev/tcp/127.0.0.1/${port} && printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3`
  const base = { binds: [], uid: 1000, gid: 1000 }
  let out = ''
  const without = await runOnce({ ...base, network: false }, 'bash', ['-c', probe], { cwd: '/', env: ENV, onOutput: (c) => (out += c) })
  t.not(without.exitCode, 0, 'cannot reach a host server')
  t.notMatch(out, /pong/)
  const ifaces = await sh({ ...base, network: false }, "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '")
  t.equal(ifaces.out, 'lo\n', 'only loopback')
  out = ''
  const withNet = await runOnce({ ...base, network: true }, 'bash', ['-c', probe], { cwd: '/', env: ENV, onOutput: (c) => (out += c) })
  t.equal(withNet.exitCode, 0)
  t.match(out, /pong/)
})

t.test('abort kills everything in the sandbox', async (t) => {
  const marker = `lading-sandbox-abort-${process.pid}`
  const ac = new AbortController()
  const p = sh({ binds: [], uid: 1000, gid: 1000, network: false }, `sleep 1000 ${marker} & echo started; wait`, {
    signal: ac.signal, onOutput: (c) => { if (c.includes('started')) ac.abort() },
  })
  await t.rejects(p, { code: 'ERR_ABORTED' })
  // the sandbox's pid namespace dies with bwrap; a killed process may linger as a zombie only
  const alive = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
    try {
      return readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').includes(marker) &&
        !/\) Z /.test(readFileSync(`/proc/${d}/stat`, 'utf8'))
    } catch {
      return false
    }
  })
  t.same(alive, [])
})

t.test('a build image rootfs', async (t) => {
  const root = t.testdir({ etc: { marker: 'from the image\n' }, bin: {}, cnb: { lifecycle: { 'x': 'image file' } }, ws: {} })
  copyFileSync('/usr/bin/busybox', join(root, 'bin', 'busybox'))
  chmodSync(join(root, 'bin', 'busybox'), 0o755)
  for (const app of ['sh', 'cat', 'id', 'touch', 'ls']) symlinkSync('busybox', join(root, 'bin', app))
  mkdirSync(join(root, 'ws', 'app'))
  const opts: SandboxOptions = {
    rootfs: root, uid: 1000, gid: 1000, network: false,
    binds: [{ source: join(root, 'ws', 'app'), target: '/workspace' }, { source: join(root, 'ws'), target: '/cnb/buildpacks/a/1' }],
  }
  let out = ''
  const r = await runOnce(opts, '/bin/sh', ['-c', 'cat /etc/marker; cat /cnb/lifecycle/x; echo; id -u; touch /workspace/w && echo ok; touch /etc/no 2>/dev/null || echo ro; ls /usr 2>/dev/null || echo no-host-usr'], {
    cwd: '/workspace', env: { PATH: '/bin' }, onOutput: (c) => (out += c),
  })
  t.equal(r.exitCode, 0)
  t.equal(out, 'from the image\nimage file\n1000\nok\nro\nno-host-usr\n')
  t.same(readdirSync(join(root, 'cnb')), ['lifecycle'], 'nothing created in the rootfs itself')
  writeFileSync(join(root, 'etc', 'resolv.conf'), 'nameserver 192.0.2.1 # from the image\n')
  const resolv = async (network: boolean) => {
    let text = ''
    await runOnce({ ...opts, network }, 'cat', ['/etc/resolv.conf'], { cwd: '/', env: { PATH: '/bin' }, onOutput: (c) => (text += c) })
    return text
  }
  t.equal(await resolv(false), 'nameserver 192.0.2.1 # from the image\n')
  t.equal(await resolv(true), readFileSync('/etc/resolv.conf', 'utf8'), "with network: the host's resolv.conf")
})

t.test('errors', async (t) => {
  const dir = t.testdir({})
  // As root, bwrap runs as the build user: the fake one must sit where every user can reach it
  // (a clone in a 0700 dir, such as root's home, is not).
  const reach = mkdtempSync(join(await stageParent(), 'lading-fake-bwrap-'))
  t.teardown(() => rmSync(reach, { recursive: true, force: true }))
  chmodSync(reach, 0o755)
  writeFileSync(join(reach, 'fake-bwrap'), '#!/bin/sh\necho "bwrap: setting up uid map: Permission denied" >&2\nexit 1\n')
  chmodSync(join(reach, 'fake-bwrap'), 0o755)
  const base: SandboxOptions = { binds: [], uid: 1000, gid: 1000, network: false }
  const missing = createSandboxRunner({ ...base, bwrap: join(dir, 'nope') })
  await t.rejects(missing.prepare(), { code: 'ERR_SANDBOX_UNAVAILABLE' }, 'prepare() rejects as the first run would')
  await missing.close()
  await t.rejects(runOnce({ ...base, bwrap: join(dir, 'nope') }, 'true', [], { cwd: '/', env: ENV }),
    { code: 'ERR_SANDBOX_UNAVAILABLE', message: /bubblewrap.*--no-sandbox/s })
  await t.rejects(runOnce({ ...base, bwrap: join(reach, 'fake-bwrap') }, 'true', [], { cwd: '/', env: ENV }),
    { code: 'ERR_SANDBOX_UNAVAILABLE', message: /uid map/ })
  await t.rejects(runOnce({ ...base, binds: [{ source: join(dir, 'missing'), target: '/workspace' }] }, 'true', [], { cwd: '/', env: ENV }),
    { code: 'ERR_SANDBOX_SETUP', message: /missing/ })
  await t.rejects(runOnce(base, 'no-such-program-xyz', [], { cwd: '/', env: ENV }), { code: 'ERR_PROCESS_SPAWN' })
  await t.rejects(runOnce(base, 'true', [], { cwd: '/no/such/dir', env: ENV }), { code: 'ERR_SANDBOX_SETUP' })
  t.equal((await runOnce(base, 'sh', ['-c', 'kill -TERM $$'], { cwd: '/', env: ENV })).exitCode, 143, 'signal: 128 + n')
  for (const target of ['workspace', '/', '/a/../b', '/proc/x', '/dev']) {
    await t.rejects(bwrapArgs({ ...base, binds: [{ source: dir, target }] }, 'true', [], '/'), { code: 'ERR_SANDBOX_OPTIONS' }, target)
  }
  await t.rejects(bwrapArgs({ ...base, uid: -1 }, 'true', [], '/'), { code: 'ERR_SANDBOX_OPTIONS' })
  await t.rejects(bwrapArgs({ ...base, rootfs: join(dir, 'no-rootfs') }, 'true', [], '/'), { code: 'ERR_SANDBOX_ROOTFS' })
  await t.resolves(probeSandbox())
})

t.test('a credential variable naming a system dir (npm_config_prefix=/usr) does not take /usr away', async (t) => {
  const r = await sh({ binds: [], uid: 1000, gid: 1000, network: false, alsoHide: ['/usr', '/etc', '/', 'relative', '/usr/etc/npmrc'] }, 'test -x /usr/bin/env && test -e /etc/passwd && echo ok')
  t.same(r, { code: 0, out: 'ok\n' })
})
