// The CLI bundle as scripts/build-cli.mjs makes it: pure ASCII, and a one-off command loads only
// the built-in modules it uses (the lazy stand-ins for undici's pool, tls, zlib, child_process,
// fs/promises and v8), while the commands that need them still get the real ones.
import t from 'tap'
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startRegistry } from '../../registry-fixtures/index.js'
import { LADING_BIN, cleanEnv } from '../helpers/cli.js'

const BUNDLE = fileURLToPath(new URL('../../dist/lading.cjs', import.meta.url))
const work = await mkdtemp(join(tmpdir(), 'lading-bundle-'))
t.teardown(() => rm(work, { recursive: true, force: true }))

// Preloaded into bin/lading's process: writes the built-in modules it loaded when it exits.
const PRELOAD = join(work, 'builtins.cjs')
await writeFile(PRELOAD, `process.on('exit', () => require('fs').writeFileSync(process.env.BUILTINS_OUT,
  process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13)).join('\\n')))\n`)

/** Runs bin/lading under node with the preload; returns its exit code, output and loaded built-ins. */
async function lading(argv: string[]): Promise<{ code: number | null; stdout: string; stderr: string; builtins: Set<string>; order: string[] }> {
  const out = join(work, `builtins-${Math.random().toString(36).slice(2)}`)
  const env = cleanEnv({ BUILTINS_OUT: out, HOME: work, XDG_CACHE_HOME: join(work, 'cache') })
  // Through env -u: the test runner puts its own loader into every child's NODE_OPTIONS.
  const child = spawn('/usr/bin/env', ['-u', 'NODE_OPTIONS', process.execPath, '-r', PRELOAD, LADING_BIN, ...argv], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  const order = existsSync(out) ? (await readFile(out, 'utf8')).split('\n') : []
  return { code, stdout, stderr, builtins: new Set(order), order }
}

t.test('the bundle is pure ASCII, its licence notices in a file beside it', async (t) => {
  const bytes = readFileSync(BUNDLE)
  t.equal(bytes.findIndex((b) => b > 0x7f), -1, 'no byte above 0x7f: V8 keeps the source as a one-byte string')
  t.match(readFileSync(`${BUNDLE}.LEGAL.txt`, 'utf8'), /MIT/)
})

t.test('--version loads no registry client, crypto, network or stream module', async (t) => {
  const r = await lading(['--version'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /^lading \d/)
  for (const m of ['http', 'https', 'tls', 'http2', 'crypto', 'zlib', 'child_process', 'fs/promises', 'v8', 'net', 'stream', 'tty']) t.notOk(r.builtins.has(m), `${m} not loaded`)
})

t.test('a registry image made with append (undici\'s pool), then read with digest (Node\'s http only)', async (t) => {
  const reg = await startRegistry()
  t.teardown(() => reg.stop())
  const app = join(work, 'app')
  await mkdir(app)
  await writeFile(join(app, 'hello.txt'), 'hello\n')
  const pushed = await lading(['append', 'scratch', `${reg.host}/lazy/app:1`, '--layer', `${app}:/app`, '--quiet'])
  t.equal(pushed.code, 0, pushed.stderr)
  t.ok(pushed.builtins.has('http2') && pushed.builtins.has('v8'), 'append loaded undici\'s pool (and turned off the optimizing wasm tier)')
  t.ok(pushed.builtins.has('zlib'), 'and zlib for its layer')

  const digest = await lading(['digest', `${reg.host}/lazy/app:1`])
  t.equal(digest.code, 0, digest.stderr)
  t.equal(digest.stdout, pushed.stdout, 'the digest append printed')
  t.ok(digest.builtins.has('http') && digest.builtins.has('crypto'), 'http and crypto are what it needs')
  t.ok(digest.order.indexOf('crypto') > digest.order.indexOf('http'), 'crypto loads once the request is out (while the registry answers), not before')
  for (const m of ['https', 'tls', 'http2', 'zlib', 'child_process', 'fs/promises', 'v8']) t.notOk(digest.builtins.has(m), `${m} not loaded`)

  const layout = join(work, 'layout')
  const copied = await lading(['copy', `${reg.host}/lazy/app:1`, `oci:${layout}:app`, '--quiet'])
  t.equal(copied.code, 0, copied.stderr)
  t.equal(copied.stdout, pushed.stdout)
  t.ok(copied.builtins.has('fs/promises'), 'a layout loads fs/promises when it first writes')
  t.match(JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')), { manifests: [{ annotations: { 'org.opencontainers.image.ref.name': 'app' } }] })
})

t.test('a command that speaks Node\'s http carries no undici: with --ca-cert it loads undici from node_modules', async (t) => {
  const dist = fileURLToPath(new URL('../../dist/commands/', import.meta.url))
  for (const c of ['digest', 'manifest', 'config', 'tags', 'rebase', 'inspect']) {
    t.notMatch(readFileSync(join(dist, `${c}.cjs`), 'latin1'), /lib\/dispatcher\/client-h2\.js/, `${c}: no undici inside`)
  }
  for (const c of ['append', 'build', 'copy']) t.match(readFileSync(join(dist, `${c}.cjs`), 'latin1'), /lib\/dispatcher\/client-h2\.js/, `${c}: undici inside`)
  const reg = await startRegistry({ variant: 'tls-basic' })
  t.teardown(() => reg.stop())
  const config = join(work, 'docker')
  await mkdir(config, { recursive: true })
  await writeFile(join(config, 'config.json'), JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from(`${reg.username}:${reg.password}`).toString('base64') } } }))
  const out = join(work, `builtins-ca`)
  const env = cleanEnv({ BUILTINS_OUT: out, HOME: work, XDG_CACHE_HOME: join(work, 'cache'), DOCKER_CONFIG: config })
  const child = spawn('/usr/bin/env', ['-u', 'NODE_OPTIONS', process.execPath, '-r', PRELOAD, LADING_BIN, 'tags', `${reg.host}/nothing`, '--ca-cert', reg.caFile!],
    { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  t.notMatch(stderr, /Cannot find module|MODULE_NOT_FOUND/)
  t.match(stderr, /repository not found: nothing .*404/, 'the registry answered, over TLS with the CA')
  t.not(code, 0)
  const builtins = (await readFile(out, 'utf8')).split('\n')
  t.ok(builtins.includes('http2') && builtins.includes('tls'), 'undici\'s pool (with TLS) was loaded for --ca-cert')
})


t.test('a rebuild replaces each bundle whole: a lading started meanwhile never finds one missing or empty', async (t) => {
  const dist = fileURLToPath(new URL('../../dist/', import.meta.url))
  const files = [join(dist, 'lading.cjs'), ...readdirSync(join(dist, 'commands')).map((f) => join(dist, 'commands', f))]
  // Without the test runner's loader hooks, as npm runs it.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && !k.startsWith('TAP') && !k.startsWith('_TAPJS')))
  const child = spawn(process.execPath, [fileURLToPath(new URL('../../scripts/build-cli.mjs', import.meta.url))], { env, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
  let done = false
  void exited.then(() => (done = true))
  let reads = 0
  const bad: string[] = []
  while (!done) {
    for (const f of files) {
      try {
        if (statSync(f).size === 0) bad.push(`${f}: empty`)
      } catch (err) {
        bad.push(`${f}: ${(err as NodeJS.ErrnoException).code}`)
      }
      reads++
    }
    await new Promise((r) => setImmediate(r))
  }
  t.equal(await exited, 0, stderr)
  t.ok(reads > files.length, `${reads} reads while it ran`)
  t.same(bad, [])
  t.same(readdirSync(join(dist, 'commands')).filter((f) => f.endsWith('.tmp')), [], 'no temp file left')
})
