import t from 'tap'
import { runCli } from '../helpers/cli.js'
import { COMMANDS } from '../../lib/cli/index.js'

t.test('--help lists every command; each command has its own help', async (t) => {
  const top = await runCli(['--help'])
  t.equal(top.code, 0)
  for (const c of COMMANDS) t.match(top.stdout, new RegExp(`\\n  ${c.name} `))
  t.match(top.stdout, /--insecure-registry/)
  for (const c of COMMANDS) {
    const h = await runCli([c.name, '--help'])
    t.equal(h.code, 0, `${c.name} --help`)
    t.match(h.stdout, new RegExp(`Usage: lading ${c.name} `))
    t.match(h.stdout, /Examples:/)
    const after = await runCli(['--help', c.name])
    t.equal(after.stdout, h.stdout, 'help flag before the command too')
  }
  const none = await runCli([])
  t.equal(none.code, 0)
  t.match(none.stdout, /Commands:/)
  t.match((await runCli(['--version'])).stdout, /^lading \d+\.\d+\.\d+/)
})

t.test('usage errors exit 3 and say what to do', async (t) => {
  const unknown = await runCli(['frobnicate'])
  t.equal(unknown.code, 3)
  t.match(unknown.stderr, /unknown command "frobnicate"/)
  const missing = await runCli(['copy', 'only-one'])
  t.equal(missing.code, 3)
  t.match(missing.stderr, /missing DST/)
  t.match(missing.stderr, /lading copy --help/)
  const badFlag = await runCli(['tags', 'x', '--nope'])
  t.equal(badFlag.code, 3)
  t.match(badFlag.stderr, /--nope/)
  const noLayer = await runCli(['append', 'scratch', 'oci:/tmp/x'])
  t.equal(noLayer.code, 3)
  t.match(noLayer.stderr, /--layer/)
  const badConc = await runCli(['copy', 'a', 'b', '--concurrency', 'zero'])
  t.equal(badConc.code, 3)
})

t.test('a bad reference exits 4 and quotes the reference', async (t) => {
  const r = await runCli(['digest', 'Not/Valid:ref!'])
  t.equal(r.code, 4)
  t.match(r.stderr, /Not\/Valid:ref!/)
})

t.test('stack traces only with LADING_DEBUG=1, never with -v', async (t) => {
  const { main } = await import('../../lib/cli/index.js')
  const { PassThrough } = await import('node:stream')
  const run = async (debug: boolean) => {
    const stderr = new PassThrough()
    let err = ''
    stderr.on('data', (d) => (err += d))
    const code = await main(['manifest', 'oci:/nonexistent-lading-layout:x', '-v'], { stdout: new PassThrough(), stderr }, { debug })
    return { code, err }
  }
  const verbose = await run(false)
  t.not(verbose.code, 0)
  t.notMatch(verbose.err, /\n\s+at /, '-v prints no stack trace')
  const debug = await run(true)
  t.match(debug.err, /\n\s+at /, 'LADING_DEBUG=1 does')
})

t.test('SIGTERM during a build leaves no /tmp/lading-build dir and exits 143; SIGINT exits 130; no tag written', async (t) => {
  const { spawn } = await import('node:child_process')
  const { chmod, mkdir, mkdtemp, readdir, rm, writeFile } = await import('node:fs/promises')
  const { existsSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const { makeBaseImages, SAMPLES } = await import('../../registry-fixtures/index.js')
  const { LADING_BIN, cleanEnv } = await import('../helpers/cli.js')
  const work = await mkdtemp(join(tmpdir(), 'lading-signals-'))
  t.teardown(() => rm(work, { recursive: true, force: true }))
  const base = await makeBaseImages(join(work, 'base'))
  const bp = join(work, 'sleepy')
  await mkdir(join(bp, 'bin'), { recursive: true })
  await writeFile(join(bp, 'buildpack.toml'), 'api = "0.10"\n[buildpack]\nid = "test/sleepy"\nversion = "1.0.0"\n[[targets]]\nos = "linux"\n')
  await writeFile(join(bp, 'bin', 'detect'), '#!/bin/sh\nexit 0\n')
  await writeFile(join(bp, 'bin', 'build'), '#!/bin/sh\necho sleeping-now\nsleep 120\n')
  await chmod(join(bp, 'bin', 'detect'), 0o755)
  await chmod(join(bp, 'bin', 'build'), 0o755)
  for (const [sig, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
    const tmp = join(work, `tmp-${sig}`)
    await mkdir(tmp)
    // reachable by the build user, so (as root) the sandbox stages its mounts here too
    await chmod(work, 0o711)
    await chmod(tmp, 0o711)
    const out = join(work, `out-${sig}`)
    const child = spawn(LADING_BIN, ['build', `oci:${out}:app`, '--path', SAMPLES.apps.hello, '--buildpack', bp, '--run-image', base.runV1],
      { env: cleanEnv({ TMPDIR: tmp }), stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    const started = Date.now()
    child.stdout.resume()
    child.stderr.on('data', (d) => {
      stderr += d
      if (stderr.includes('sleeping-now') && !child.killed) child.kill(sig)
    })
    const exit = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)))
    t.equal(exit, code, `${sig}: exit ${code}\n${stderr}`)
    t.ok(Date.now() - started < 60_000, `${sig}: the buildpack was stopped, not waited for`)
    t.match(stderr, sig === 'SIGTERM' ? /terminated \(SIGTERM\)/ : /interrupted \(SIGINT\)/)
    t.same(await readdir(tmp), [], `${sig}: no lading-build dir, app copy, scratch dir or sandbox stage left in TMPDIR`)
    t.notOk(existsSync(join(out, 'index.json')) && (await import('node:fs')).readFileSync(join(out, 'index.json'), 'utf8').includes('"app"'), `${sig}: no tag written`)
  }
})

t.test('secretPaths: credential variables and lading\'s own dirs, not CA bundles', async (t) => {
  const { secretPaths } = await import('../../lib/cli/main.js')
  const got = secretPaths({ DOCKER_CONFIG: '/etc/dc', REGISTRY_AUTH_FILE: '/opt/auth.json', SSL_CERT_FILE: '/etc/ssl/certs/ca.pem', CNB_REGISTRY_AUTH: '{"a":"b"}', PATH: '/usr/bin' }, '/home/u')
  for (const p of ['/etc/dc', '/opt/auth.json', '/home/u/.docker', '/home/u/.cache', '/home/u/.config', '/home/u']) t.ok(got.includes(p), p)
  t.notOk(got.includes('/etc/ssl/certs/ca.pem'))
  t.notOk(got.includes('/usr/bin'))
})
