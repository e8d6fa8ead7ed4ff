/**
 * Resume across processes (lib/registry/upload-state.ts, issue #10): the state file itself, a push
 * that resumes an earlier run's session, a forgotten session falling back to a restart, and a
 * child process pushing a 190 MiB file killed with SIGKILL at ~90% (the rerun sends only the rest
 * behind a buffering proxy, everything straight against distribution) or stopped with SIGTERM (the
 * chunk in flight is finished, so the rerun sends exactly the rest).
 *
 * Observed with docker-registry 2.8.2: a PATCH cut mid-body leaves the bytes it received in the
 * session, but the session's `_state` still names the offset before that PATCH, and the next
 * request on it ("upload resumed at wrong offest") cancels the upload. So straight against 2.8.2 a
 * kill mid-request can only restart; behind a proxy that buffers request bodies (nginx's default)
 * a cut request never reaches the registry and the session stays at the last acknowledged chunk.
 */
import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { Readable } from 'node:stream'
import { open, readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Digest } from '../../lib/digest/index.js'
import { uploadStateStore } from '../../lib/registry/upload-state.js'
import { cleanEnv } from '../helpers/cli.js'
import { blob, client, proxy, registry } from './fixture-helpers.js'
import { writeBigBlob } from '../../registry-fixtures/index.js'

const MiB = 1 << 20
const reg = await registry(t)
const CHILD = fileURLToPath(new URL('./push-child.ts', import.meta.url))
const D = `sha256:${'a'.repeat(64)}` as Digest
// The default resumable chunk size (RESUMABLE_CHUNK_SIZE), as the CLI and benchmarks/push-resume.ts use.
const RESUMABLE_CHUNK = 32 * MiB

t.test('state file: 0600, no credentials, round trip; damaged, stale, foreign or live-owned files are ignored', async (t) => {
  const dir = join(t.testdir(), 'uploads')
  let now = 1_000_000
  const s = uploadStateStore(dir, { now: () => now })
  const key = { registry: 'reg.example', repository: 'team/app', digest: D }
  t.equal(s.load(key), undefined)
  s.save(key, 100, 'https://reg.example/v2/team/app/blobs/uploads/u?_state=abc', 40)
  const [name] = await readdir(dir)
  t.equal(((await stat(join(dir, name!))).mode & 0o777), 0o600, 'file 0600')
  t.equal(((await stat(dir)).mode & 0o777), 0o700, 'directory 0700')
  const text = await readFile(join(dir, name!), 'utf8')
  t.notMatch(text, /password|authorization|token|bearer/i)
  t.match(s.load(key), { location: 'https://reg.example/v2/team/app/blobs/uploads/u?_state=abc', offset: 40, size: 100 })
  t.equal(s.load({ ...key, repository: 'team/other' }), undefined, 'per repository')
  now += 25 * 3600 * 1000
  t.equal(s.load(key), undefined, 'a day old: not worth asking')
  now = 1_000_000
  s.drop(key)
  t.equal(s.load(key), undefined, 'dropped')
  s.save(key, 100, 'https://reg.example/u', 400)
  t.equal(s.load(key), undefined, 'offset past the size')
  s.save(key, 100, 'https://elsewhere.example/v2/team/app/blobs/uploads/u', 4)
  t.equal(s.load(key), undefined, 'a Location on another host is not followed')
  writeFileSync(join(dir, name!), '{not json')
  t.equal(s.load(key), undefined, 'damaged')
  // A state written by another live process on this host (the parent of this test) is left alone.
  writeFileSync(join(dir, name!), JSON.stringify({ ...key, size: 100, location: 'https://reg.example/u', offset: 0, pid: process.ppid, host: hostname(), savedAt: now }))
  t.equal(s.load(key), undefined, 'owned by a live process')
})

t.test('an earlier run\'s session is resumed at the offset the registry reports; only the rest is sent', async (t) => {
  const p = await proxy(t, reg.url)
  const dir = join(t.testdir(), 'uploads')
  const b = blob(3 * 100_000 + 5)
  const lines: string[] = []
  // First run: chunks of 100 000 bytes, the third PATCH answered 500 each time, so it gives up.
  p.setRules([{ match: { method: 'PATCH', nth: 3, times: 10 }, action: { status: 500, body: 'boom' } }])
  const one = client(t, reg, { host: p.host, uploadStateDir: dir, resumableChunkSize: 100_000, resumableChunkSeconds: 0, retry: { maxAttempts: 2 } })
  await t.rejects(one.repository({ registry: p.host, repository: 'state/a' }).blobs.put(() => createReadStreamOf(b.bytes), { digest: b.digest, size: b.size }),
    { code: 'ERR_REGISTRY_SERVER' })
  t.equal((await readdir(dir)).length, 1, 'the session is kept for the next run')
  p.setRules([])
  p.requests.length = 0
  const two = client(t, reg, { host: p.host, uploadStateDir: dir, resumableChunkSize: 100_000, resumableChunkSeconds: 0, lines })
  const events: Array<{ kind: string; bytes: number; total?: number; done?: boolean }> = []
  const d = await two.repository({ registry: p.host, repository: 'state/a' }).blobs.put(() => createReadStreamOf(b.bytes), { digest: b.digest, size: b.size },
    { onProgress: (e) => events.push(e) })
  t.equal(d.digest, b.digest)
  t.match(events.at(-1), { kind: 'upload', done: true, bytes: 100_005, total: 300_005 }, 'the finished event counts what this run sent, of the whole blob')
  t.equal(two.stats.bytesUploaded, 100_005, 'and so do the client\'s stats (the CLI\'s ledger printed the whole blob)')
  const mine = p.requests.filter((r) => r.path.startsWith('/v2/state/'))
  t.same(mine.map((r) => `${r.method} ${r.status}`), ['HEAD 404', 'GET 204', 'PATCH 202', 'PATCH 202', 'PUT 201'], 'no POST: the old session')
  t.same(mine.filter((r) => r.method === 'PATCH').map((r) => r.bytesIn), [100_000, 5], 'the third chunk and the last 5 bytes')
  t.ok(lines.some((l) => /an earlier run left sha256:\w+ at byte 200000 of 300005/.test(l)), 'logged')
  t.notOk(lines.some((l) => /_state=(?!\*\*\*)/.test(l)), 'no session token in the log')
  t.same(await readdir(dir), [], 'committed: state removed')
})

t.test('single streamed PATCH (a blob under two resumable chunks): a run that died before its commit leaves a session the next run closes with the PUT alone', async (t) => {
  const p = await proxy(t, reg.url, [{ match: { method: 'PUT', nth: 1, times: 2 }, action: { status: 500, body: 'boom' } }])
  const dir = join(t.testdir(), 'uploads')
  const b = blob(400_000)
  const one = client(t, reg, { host: p.host, uploadStateDir: dir, retry: { maxAttempts: 2 } })
  await t.rejects(one.repository({ registry: p.host, repository: 'state/stream' }).blobs.put(() => createReadStreamOf(b.bytes), { digest: b.digest, size: b.size }),
    { code: 'ERR_REGISTRY_SERVER' })
  p.requests.length = 0
  const two = client(t, reg, { host: p.host, uploadStateDir: dir })
  const d = await two.repository({ registry: p.host, repository: 'state/stream' }).blobs.put(() => createReadStreamOf(b.bytes), { digest: b.digest, size: b.size })
  t.equal(d.digest, b.digest)
  t.same(p.requests.filter((r) => r.path.startsWith('/v2/state/')).map((r) => `${r.method} ${r.status}`), ['HEAD 404', 'GET 204', 'PUT 201'], 'no byte sent again')
  t.same(await readdir(dir), [])
})

t.test('a session the registry has forgotten: restart from POST, blob intact', async (t) => {
  const p = await proxy(t, reg.url)
  const dir = join(t.testdir(), 'uploads')
  const b = blob(250_000)
  const key = { registry: p.host, repository: 'state/forgotten', digest: b.digest }
  uploadStateStore(dir).save(key, b.size, `${p.url}/v2/state/forgotten/blobs/uploads/00000000-0000-0000-0000-000000000000?_state=bogus`, 100_000)
  const lines: string[] = []
  const c = client(t, reg, { host: p.host, uploadStateDir: dir, lines })
  const d = await c.repository({ registry: p.host, repository: 'state/forgotten' }).blobs.put(() => createReadStreamOf(b.bytes), { digest: b.digest, size: b.size })
  t.equal(d.digest, b.digest)
  t.same(p.requests.filter((r) => r.path.startsWith('/v2/state/')).map((r) => `${r.method} ${r.status}`), ['HEAD 404', 'GET 404', 'POST 202', 'PATCH 202', 'PUT 201'])
  t.ok(lines.some((l) => /cannot resume .*restarting from POST/.test(l)))
  t.same(await readdir(dir), [])
})

/** A 190 MiB file (cheap, no two MiB alike) with its digest. */
async function bigFile(dir: string, mib: number): Promise<{ path: string; digest: Digest; size: number }> {
  const b = await writeBigBlob(join(dir, 'blob.bin'), mib)
  return { ...b, digest: b.digest as Digest }
}

/** Runs push-child.ts; `started` receives the child so the proxy can SIGKILL it at an exact byte count. */
function runChild(args: string[], started?: (child: ChildProcess) => void): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
    started?.(child)
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    child.stdout.resume()
    child.on('error', reject)
    child.on('exit', (code, signal) => resolve({ code, signal, stderr }))
  })
}

const KILLS = [
  { signal: 'SIGKILL', at: 0.9, buffered: true, name: 'kill -9 at ~90% of a 190 MiB push behind a request-buffering proxy: the rerun sends about the last 10%' },
  { signal: 'SIGKILL', at: 0.9, buffered: false, name: 'kill -9 at ~90% straight against distribution 2.8: the registry forgets the session, the rerun restarts and succeeds' },
  { signal: 'SIGTERM', at: 0.7, buffered: false, name: 'SIGTERM at ~70% straight against distribution 2.8: the chunk in flight is finished, exit 143, the rerun sends exactly the rest' },
] as const

for (const k of KILLS) {
  t.test(k.name, { timeout: 300_000 }, async (t) => {
    const dir = t.testdir()
    const f = await bigFile(dir, 190)
    // The signal comes from the proxy's own data handler the moment that share of the bytes has
    // arrived, so it lands mid-request as a real kill would, not at a convenient chunk boundary.
    let victim: ChildProcess | undefined
    const p = await proxy(t, reg.url, [], {
      ...(k.buffered ? { bufferRequests: true } : {}),
      onRequestBytes: (rec) => {
        if (rec.method !== 'PATCH' || !victim) return
        if (patched(0) >= f.size * k.at) {
          victim.kill(k.signal)
          victim = undefined
        }
      },
    })
    const chunk = RESUMABLE_CHUNK
    const patched = (from: number): number => p.requests.slice(from).filter((r) => r.method === 'PATCH').reduce((n, r) => n + r.bytesIn, 0)
    const args = [p.host, `state/${k.signal.toLowerCase()}-${k.buffered ? 'buffered' : 'direct'}`, f.path, f.digest, String(f.size), join(dir, 'uploads'), String(chunk)]
    const first = await runChild(args, (c) => { victim = c })
    const sentFirst = patched(0)
    if (k.signal === 'SIGKILL') {
      t.equal(first.signal, 'SIGKILL', 'killed mid-push')
      t.ok(sentFirst >= f.size * k.at && sentFirst < f.size, `first run got ${(sentFirst / MiB).toFixed(1)} MiB in`)
    } else {
      t.equal(first.code, 143, first.stderr.slice(-2000))
      t.match(first.stderr, /upload: stopping at byte \d+ of 199229440 \(interrupted\); the session is kept for the next run/)
      t.equal(sentFirst % chunk, 0, `stopped at a chunk boundary: ${(sentFirst / MiB).toFixed(1)} MiB in`)
    }
    await new Promise((ok) => setTimeout(ok, 300)) // let the registry notice the dead connection
    const mark = p.requests.length
    const second = await runChild(args)
    t.equal(second.code, 0, second.stderr.slice(-2000))
    const sent = patched(mark)
    t.comment(`rerun sent ${(sent / MiB).toFixed(1)} MiB of ${f.size / MiB} MiB`)
    if (k.signal === 'SIGTERM') {
      t.equal(sent + sentFirst, f.size, 'no byte sent twice')
      t.ok(sent <= f.size * (1 - k.at), `rerun sends at most the last ${Math.round((1 - k.at) * 100)}%: ${(sent / MiB).toFixed(1)} MiB`)
      t.notOk(p.requests.slice(mark).some((r) => r.method === 'POST'), 'no new session')
    } else if (k.buffered) {
      t.ok(sent <= f.size * 0.1 + chunk, `rerun sends about the last 10% (at most one chunk more): ${(sent / MiB).toFixed(1)} MiB`)
      t.ok(sent > 0, 'and not nothing')
      t.match(second.stderr, /an earlier run left sha256:\w+ at byte \d+ of 199229440/)
      t.notOk(p.requests.slice(mark).some((r) => r.method === 'POST'), 'no new session')
    } else {
      t.equal(sent, f.size, 'forgotten session: everything again')
      t.match(second.stderr, /cannot resume .*BLOB_UPLOAD_INVALID.*restarting from POST/)
    }
    const have = p.requests.slice(mark).find((r) => r.method === 'PUT')
    t.equal(have?.status, 201, 'committed (the registry checked the digest)')
    t.same(await readdir(join(dir, 'uploads')), [], 'state removed after the commit')
  })
}

function createReadStreamOf(bytes: Buffer): Readable {
  return Readable.from([bytes.subarray(0, 150_000), bytes.subarray(150_000)])
}
