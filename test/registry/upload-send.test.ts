/**
 * Sending one upload attempt (lib/registry/upload-send.ts) against the real registry behind the
 * fault proxy: resumable chunks by default with a state dir, a blob file read in place, stopping at
 * a chunk boundary on the caller's signal and resuming from there in a new client, and falling back
 * to one streamed PATCH where a registry does not take chunks.
 */
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { sha256, type Digest } from '../../lib/digest/index.js'
import type { RepoContext } from '../../lib/registry/context.js'
import { lingering } from '../../lib/registry/upload.js'
import { chunking, multiPatchBroken } from '../../lib/registry/upload-send.js'
import type { FaultProxy, ProxiedRequest } from '../../registry-fixtures/index.js'
import { client, proxy, readAll, registry } from './fixture-helpers.js'

const reg = await registry(t)
const CHUNK = 100_000

/** A blob of 3.5 chunks in a file, with its digest. */
async function blobFile(dir: string, size = 3 * CHUNK + 50_000): Promise<{ path: string; bytes: Buffer; digest: Digest; size: number }> {
  const bytes = randomBytes(size)
  const path = join(dir, `blob-${size}-${bytes.readUInt32BE(0)}`)
  await writeFile(path, bytes)
  return { path, bytes, digest: sha256(bytes), size }
}

const patches = (p: FaultProxy, repo: string): ProxiedRequest[] =>
  p.requests.filter((r) => r.method === 'PATCH' && r.path.startsWith(`/v2/${repo}/`))

t.test('hosts known to break sessions of several PATCHes', async (t) => {
  for (const h of ['123456789012.dkr.ecr.eu-west-1.amazonaws.com', '1.dkr.ecr.cn-north-1.amazonaws.com.cn', 'public.ecr.aws', 'ghcr.io', 'GHCR.IO:443', 'quay.io']) {
    t.ok(multiPatchBroken(h), h)
  }
  for (const h of ['registry-1.docker.io', 'docker.io', 'localhost:5000', 'harbor.example.com', 'ghcr.io.example.com']) t.notOk(multiPatchBroken(h), h)
})

t.test('chunking: forced chunks, resumable chunks for large tracked blobs, else one streamed PATCH', async (t) => {
  const ctx = (o: Partial<RepoContext> & { registry?: string } = {}): RepoContext => ({
    session: { registry: o.registry ?? 'reg.example' }, uploadMode: 'auto', chunkSize: 4 << 20, resumableChunkSize: 1000,
    chunkedRegistries: new Set<string>(), streamOnly: new Set<string>(), ...o,
  }) as unknown as RepoContext
  const track = { earlier: undefined, save() {}, drop() {} }
  const big = { digest: sha256('x'), size: 2000 }
  t.same(chunking(ctx(), big, track), { size: 1000, resumable: true })
  t.same(chunking(ctx(), { ...big, size: 1999 }, track), { size: 0, resumable: false }, 'under two chunks')
  t.same(chunking(ctx(), big, undefined), { size: 0, resumable: false }, 'nothing to resume from (no state dir, unknown digest)')
  t.same(chunking(ctx({ registry: 'ghcr.io' }), big, track), { size: 0, resumable: false })
  t.same(chunking(ctx({ streamOnly: new Set(['reg.example']) }), big, track), { size: 0, resumable: false })
  t.same(chunking(ctx({ uploadMode: 'stream' }), big, track), { size: 0, resumable: false })
  t.same(chunking(ctx({ uploadMode: 'chunked' }), big, undefined), { size: 4 << 20, resumable: false })
  t.same(chunking(ctx({ chunkedRegistries: new Set(['reg.example']) }), big, track), { size: 4 << 20, resumable: false }, 'after a 413')
})

t.test('a blob file is read in place, in resumable Content-Range chunks; the body function is not called', async (t) => {
  const p = await proxy(t, reg.url)
  const dir = t.testdir()
  const f = await blobFile(dir)
  const c = client(t, reg, { host: p.host, uploadStateDir: join(dir, 'uploads'), resumableChunkSize: CHUNK })
  const repo = c.repository({ registry: p.host, repository: 'send/file' })
  let opened = 0
  const body = (): Readable => {
    opened++
    return Readable.from([f.bytes])
  }
  const d = await repo.blobs.put(body, { digest: f.digest, size: f.size }, { file: f.path })
  t.equal(d.digest, f.digest)
  t.equal(opened, 0)
  t.same(patches(p, 'send/file').map((r) => r.headers['content-range']), ['0-99999', '100000-199999', '200000-299999', '300000-349999'])
  t.same(await readAll(await repo.blobs.open(d)), f.bytes)

  // A file of another size is not the blob: the body's stream is used (and checked) instead.
  const other = await blobFile(dir, 1000)
  const g = randomBytes(5000)
  const dg = await repo.blobs.put(() => {
    opened++
    return Readable.from([g])
  }, { digest: sha256(g), size: g.length }, { file: other.path })
  t.equal(dg.digest, sha256(g))
  t.equal(opened, 1)
})

t.test('resumed mid-file without a known digest: the body stream is read from its start, so the digest covers every byte', async (t) => {
  const p = await proxy(t, reg.url, [{ match: { method: 'PATCH', nth: 2 }, action: { resetAfterBytes: 1000, direction: 'request' } }])
  const f = await blobFile(t.testdir())
  const c = client(t, reg, { host: p.host, uploadMode: 'chunked', chunkSize: CHUNK })
  const repo = c.repository({ registry: p.host, repository: 'send/no-digest' })
  let opened = 0
  const d = await repo.blobs.put(() => {
    opened++
    return Readable.from([f.bytes])
  }, {}, { file: f.path })
  t.equal(d.digest, f.digest)
  t.equal(opened, 1, 'the first attempt read the file, the resumed one the stream')
  t.same(patches(p, 'send/no-digest').map((r) => r.headers['content-range']), ['0-99999', '100000-199999', '100000-199999', '200000-299999', '300000-349999'])
})

t.test('stopped by the signal mid-chunk: that chunk is finished, the session kept; a new client sends only the rest', async (t) => {
  const dir = join(t.testdir(), 'uploads')
  const f = await blobFile(join(dir, '..'))
  const controller = new AbortController()
  const p = await proxy(t, reg.url, [], {
    onRequestBytes: (rec) => {
      // Half-way through the second chunk.
      if (rec.method === 'PATCH' && rec.headers['content-range'] === '100000-199999' && rec.bytesIn >= CHUNK / 2) controller.abort(new Error('terminated'))
    },
  })
  const lines: string[] = []
  const one = client(t, reg, { host: p.host, uploadStateDir: dir, resumableChunkSize: CHUNK, lines })
  const repo1 = one.repository({ registry: p.host, repository: 'send/stop' })
  await t.rejects(repo1.blobs.put(() => Readable.from([f.bytes]), { digest: f.digest, size: f.size }, { file: f.path, signal: controller.signal }),
    { message: 'terminated' })
  t.same(patches(p, 'send/stop').map((r) => `${r.status} ${r.bytesIn}`), ['202 100000', '202 100000'], 'the chunk in flight was let finish')
  t.ok(lines.includes('upload: stopping at byte 200000 of 350000 (interrupted); the session is kept for the next run'))
  const [state] = await readdir(dir)
  t.match(JSON.parse(await readFile(join(dir, state!), 'utf8')), { offset: 200_000, size: f.size, digest: f.digest })

  p.requests.length = 0
  const two = client(t, reg, { host: p.host, uploadStateDir: dir, resumableChunkSize: CHUNK })
  const repo2 = two.repository({ registry: p.host, repository: 'send/stop' })
  const d = await repo2.blobs.put(() => Readable.from([f.bytes]), { digest: f.digest, size: f.size }, { file: f.path })
  t.equal(d.digest, f.digest)
  t.same(p.requests.filter((r) => r.path.startsWith('/v2/send/')).map((r) => `${r.method} ${r.status}`),
    ['HEAD 404', 'GET 204', 'PATCH 202', 'PATCH 202', 'PUT 201'], 'no POST: the same session')
  t.same(patches(p, 'send/stop').map((r) => r.headers['content-range']), ['200000-299999', '300000-349999'])
  t.same(await readdir(dir), [], 'committed: state removed')
  t.same(await readAll(await repo2.blobs.open(d)), f.bytes)
})

t.test('a registry refusing a resumable chunk (416, or 201 as ECR does): one streamed PATCH from then on', async (t) => {
  const dir = t.testdir()
  for (const answer of [{ status: 416, body: '{"errors":[{"code":"RANGE_INVALID","message":"too large"}]}' }, { status: 201, body: '' }]) {
    const p = await proxy(t, reg.url, [{ match: { method: 'PATCH', nth: 1 }, action: answer }])
    const lines: string[] = []
    const c = client(t, reg, { host: p.host, uploadStateDir: join(dir, `uploads-${answer.status}`), resumableChunkSize: CHUNK, lines })
    const repo = c.repository({ registry: p.host, repository: `send/refused-${answer.status}` })
    const f = await blobFile(dir)
    const d = await repo.blobs.put(() => Readable.from([f.bytes]), { digest: f.digest, size: f.size }, { file: f.path })
    t.equal(d.digest, f.digest)
    t.same(p.requests.map((r) => `${r.method} ${r.status}`), ['GET 200', 'HEAD 404', 'POST 202', `PATCH ${answer.status}`, 'HEAD 404', 'POST 202', 'PATCH 202', 'PUT 201'])
    t.equal(patches(p, `send/refused-${answer.status}`)[1]!.headers['content-range'], undefined, 'one streamed PATCH')
    t.ok(lines.some((l) => l.includes('did not take a resumable chunk') && l.includes('one streamed PATCH from now on')))
    // The next blob of this client goes straight to one streamed PATCH.
    const g = await blobFile(dir, 2 * CHUNK)
    p.requests.length = 0
    await repo.blobs.put(() => Readable.from([g.bytes]), { digest: g.digest, size: g.size }, { file: g.path })
    t.same(p.requests.map((r) => `${r.method} ${r.status}`), ['HEAD 404', 'POST 202', 'PATCH 202', 'PUT 201'])
  }
})

t.test('lingering: aborts a while after the signal, with its reason; dispose() stops it', async (t) => {
  const c = new AbortController()
  const l = lingering(c.signal, 30)
  c.abort(new Error('stop'))
  t.notOk(l.signal!.aborted, 'not at once')
  await new Promise((ok) => setTimeout(ok, 60))
  t.ok(l.signal!.aborted)
  t.equal((l.signal!.reason as Error).message, 'stop')
  l.dispose()

  const c2 = new AbortController()
  const l2 = lingering(c2.signal, 10)
  l2.dispose()
  c2.abort()
  await new Promise((ok) => setTimeout(ok, 30))
  t.notOk(l2.signal!.aborted, 'disposed before the abort: never fires')
  t.same(lingering(undefined, 10).signal, undefined)
})
