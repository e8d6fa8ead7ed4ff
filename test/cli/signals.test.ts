// Every command that talks to a registry stops promptly on SIGINT/SIGTERM (not at the 10 s hard
// exit), removes its temp files and exits 130/143: each is run against a registry that answers
// the ping and then never answers again, and signalled once its first real request is hanging.
import t from 'tap'
import type { Test } from 'tap'
import { spawn } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { chmod, mkdir, mkdtemp, readdir, rm, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LADING_BIN, cleanEnv } from '../helpers/cli.js'

const work = await mkdtemp(join(tmpdir(), 'lading-signals-'))
t.teardown(() => rm(work, { recursive: true, force: true }))

// The registry that hangs: GET /v2/ answers (so the ping passes), every other request is held.
const held: string[] = []
const stall = createServer((req, res) => {
  if (req.url === '/v2/') {
    res.writeHead(200, { 'content-type': 'application/json', 'docker-distribution-api-version': 'registry/2.0' })
    res.end('{}')
    return
  }
  held.push(`${req.method} ${req.url}`)
  req.resume()
})
await new Promise<void>((resolve) => stall.listen(0, '127.0.0.1', resolve))
const host = `127.0.0.1:${(stall.address() as AddressInfo).port}`
t.teardown(() => new Promise<void>((resolve) => {
  stall.closeAllConnections()
  stall.close(() => resolve())
}))

// Inputs of the commands that make something before they push it.
const app = join(work, 'app')
await mkdir(app)
await writeFile(join(app, 'index.txt'), 'hello\n')
const bp = join(work, 'bp')
await mkdir(join(bp, 'bin'), { recursive: true })
await writeFile(join(bp, 'buildpack.toml'), 'api = "0.10"\n[buildpack]\nid = "test/signals"\nversion = "1.0.0"\n[[targets]]\nos = "linux"\n')
for (const f of ['detect', 'build']) {
  await writeFile(join(bp, 'bin', f), '#!/bin/sh\nexit 0\n')
  await chmod(join(bp, 'bin', f), 0o755)
}
await writeFile(join(work, 'package.toml'), `[buildpack]\nuri = "${bp}"\n`)
await writeFile(join(work, 'builder.toml'), `[[buildpacks]]\nuri = "${bp}"\n[[order]]\n[[order.group]]\nid = "test/signals"\n[build]\nimage = "${host}/build:1"\n[run]\n[[run.images]]\nimage = "${host}/run:1"\n`)
await writeFile(join(work, 'fleet.toml'), `[[images]]\ntag = "${host}/apps/a:1"\npath = "${app}"\nbuildpacks = ["${bp}"]\nrun-image = "${host}/run:1"\n`)
await writeFile(join(work, 'images.txt'), `${host}/apps/a:1\n${host}/apps/b:1\n`)

const CASES: Array<{ argv: string[]; signal: 'SIGINT' | 'SIGTERM' }> = [
  { argv: ['digest', `${host}/apps/a:1`], signal: 'SIGINT' },
  { argv: ['manifest', `${host}/apps/a:1`], signal: 'SIGTERM' },
  { argv: ['config', `${host}/apps/a:1`], signal: 'SIGINT' },
  { argv: ['tags', `${host}/apps/a`], signal: 'SIGTERM' },
  { argv: ['inspect', `${host}/apps/a:1`], signal: 'SIGINT' },
  { argv: ['copy', `${host}/apps/a:1`, `oci:${join(work, 'copy-out')}:a`], signal: 'SIGTERM' },
  { argv: ['rebase', `${host}/apps/a:1`], signal: 'SIGINT' },
  { argv: ['rebase', '--from', join(work, 'images.txt')], signal: 'SIGTERM' },
  { argv: ['append', 'scratch', `${host}/apps/a:1`, '--layer', `${app}:/app`], signal: 'SIGINT' },
  { argv: ['buildpack', 'package', `${host}/bp:1`, '--config', join(work, 'package.toml')], signal: 'SIGTERM' },
  { argv: ['builder', 'create', `${host}/builder:1`, '--config', join(work, 'builder.toml')], signal: 'SIGINT' },
  { argv: ['fleet', 'plan', join(work, 'fleet.toml')], signal: 'SIGTERM' },
  { argv: ['fleet', 'apply', join(work, 'fleet.toml')], signal: 'SIGINT' },
]

/**
 * Runs lading with its own HOME and TMPDIR (whatever the command leaves behind is seen, nothing of
 * the user's is read), waits until `ready()` holds, sends `signal`, and checks the exit code, that
 * it stopped well before the 10 s hard exit (`withinMs`), the message, and an empty TMPDIR.
 */
async function signalled(t: Test, argv: string[], signal: 'SIGINT' | 'SIGTERM', ready: () => boolean | Promise<boolean>,
  withinMs = 5000): Promise<string> {
  const dir = await mkdtemp(join(work, 'run-'))
  const tmp = join(dir, 'tmp')
  await mkdir(tmp)
  const child = spawn(LADING_BIN, argv, {
    env: cleanEnv({ TMPDIR: tmp, HOME: dir, XDG_CACHE_HOME: join(dir, 'cache'), XDG_CONFIG_HOME: join(dir, 'config') }),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stdout.resume()
  child.stderr.on('data', (d) => (stderr += d))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const deadline = Date.now() + 60_000
  while (child.exitCode === null && Date.now() < deadline && !(await ready())) await new Promise((r) => setTimeout(r, 20))
  t.equal(child.exitCode, null, `still running when signalled\n${stderr}`)
  const sent = Date.now()
  child.kill(signal)
  const code = await exited
  const ms = Date.now() - sent
  t.equal(code, signal === 'SIGINT' ? 130 : 143, stderr)
  t.ok(ms < withinMs, `stopped in ${ms} ms, well before the 10 s hard exit`)
  t.match(stderr, signal === 'SIGINT' ? /interrupted \(SIGINT\)/ : /terminated \(SIGTERM\)/)
  t.same(await readdir(tmp), [], 'no temp file or directory left')
  return stderr
}

for (const c of CASES) {
  t.test(`${c.argv.slice(0, 2).join(' ')}: ${c.signal} while a request hangs`, async (t) => {
    const from = held.length
    await signalled(t, c.argv, c.signal, () => held.length > from)
    t.ok(held.length > from, `a request was hanging (${held.slice(from).join(', ')})`)
  })
}

t.test('append: SIGTERM while one big file is being layered stops at once, leaving no temp blob in the layout', async (t) => {
  const dir = await mkdtemp(join(work, 'big-'))
  const src = join(dir, 'src')
  await mkdir(src)
  // 2 GiB of zeros, sparse: no disk, but many seconds to read and deflate.
  await writeFile(join(src, 'big'), '')
  await truncate(join(src, 'big'), 2 * 1024 * 1024 * 1024)
  const layout = join(dir, 'out')
  const blobs = join(layout, 'blobs', 'sha256')
  const temps = async () => (await readdir(blobs).catch(() => [] as string[])).filter((f) => f.startsWith('.tmp-'))
  // Signalled once the layer's temp blob exists: the file is being read.
  await signalled(t, ['append', 'scratch', `oci:${layout}:a`, '--layer', `${src}:/data`], 'SIGTERM', async () => (await temps()).length > 0, 3000)
  t.same(await temps(), [], 'no temp blob left in the layout')
})

t.test('rebase: SIGINT while the app config read hangs (manifests answer, blobs never do)', async (t) => {
  const config = { digest: `sha256:${'c'.repeat(64)}`, size: 100, mediaType: 'application/vnd.oci.image.config.v1+json' }
  const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers: [] })
  const blobsHeld: string[] = []
  const server = createServer((req, res) => {
    if (req.url === '/v2/' || /\/manifests\//.test(req.url ?? '')) {
      res.writeHead(200, { 'content-type': req.url === '/v2/' ? 'application/json' : 'application/vnd.oci.image.manifest.v1+json', 'docker-distribution-api-version': 'registry/2.0' })
      res.end(req.url === '/v2/' ? '{}' : manifest)
      return
    }
    blobsHeld.push(`${req.method} ${req.url}`)
    req.resume()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  }))
  const h = `127.0.0.1:${(server.address() as AddressInfo).port}`
  await signalled(t, ['rebase', `${h}/apps/a:1`], 'SIGINT', () => blobsHeld.length > 0)
  t.match(blobsHeld[0], /blobs\/sha256:c+/, 'the config read was hanging')
})

t.test('a fleet of 16 requests in flight on one signal prints no listener-leak warning', async (t) => {
  const list = join(work, 'sixteen.txt')
  await writeFile(list, Array.from({ length: 16 }, (_, i) => `${host}/apps/many${i}:1\n`).join(''))
  const from = held.length
  const stderr = await signalled(t, ['rebase', '--from', list, '--concurrency', '16'], 'SIGTERM', () => held.length - from >= 16)
  t.notMatch(stderr, /MaxListenersExceededWarning/)
})
