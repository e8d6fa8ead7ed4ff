import t from 'tap'
import type { Test } from 'tap'
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sha256 } from '../../lib/digest/index.js'
import { readAll } from '../../lib/oci/index.js'
import { createRegistryClient, JsonBlobCache, withJsonBlobCache } from '../../lib/registry/index.js'
import { startFaultProxy, startRegistry } from '../../registry-fixtures/index.js'

const CONFIG = 'application/vnd.oci.image.config.v1+json'

let dir: string
t.beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'lading-json-blobs-')) })
t.afterEach(() => rm(dir, { recursive: true, force: true }))

const blob = (s: string) => {
  const bytes = Buffer.from(JSON.stringify({ s }))
  return { bytes, desc: { mediaType: CONFIG, digest: sha256(bytes), size: bytes.length } }
}

t.test('keeps a blob under its digest, 0600 in a 0700 dir, and reads it back', async (t) => {
  const c = new JsonBlobCache(join(dir, 'c'))
  const b = blob('a')
  t.equal(c.has(b.desc.digest), false)
  t.equal(await c.get(b.desc), undefined, 'a miss before anything was kept')
  await c.put(b.bytes)
  t.equal(c.has(b.desc.digest), true)
  t.same(await c.get(b.desc), b.bytes)
  t.equal((await stat(join(dir, 'c'))).mode & 0o777, 0o700)
  t.equal((await stat(join(dir, 'c', b.desc.digest.slice(7)))).mode & 0o777, 0o600)
  await c.settled()
  t.same((await readdir(join(dir, 'c'))).filter((n) => n.endsWith('.tmp')), [], 'no temp file left')
})

t.test('only small sha256 JSON blobs are accepted', async (t) => {
  const c = new JsonBlobCache(dir, { maxEntryBytes: 100 })
  const d = blob('x').desc
  t.ok(c.accepts(d))
  t.ok(c.accepts({ ...d, mediaType: 'application/vnd.docker.container.image.v1+json' }))
  t.notOk(c.accepts({ ...d, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' }), 'a layer')
  t.notOk(c.accepts({ ...d, size: 101 }), 'too big')
  t.notOk(c.accepts({ digest: d.digest, size: d.size }), 'no media type: not known to be JSON')
  t.notOk(c.accepts({ ...d, digest: `sha512:${'a'.repeat(128)}` as never }))
  await c.put(Buffer.alloc(101, 'x'))
  t.same(await readdir(dir).catch(() => []), [], 'a big blob is never written')
})

t.test('a damaged entry is a miss and is removed; an unwritable dir only means no cache', async (t) => {
  const c = new JsonBlobCache(dir)
  const b = blob('b')
  await c.put(b.bytes)
  const f = join(dir, b.desc.digest.slice(7))
  await writeFile(f, '{"s":"B"}')
  t.equal(await c.get(b.desc), undefined, 'same size, other bytes')
  t.equal(c.has(b.desc.digest), false, 'removed')
  await writeFile(f, 'short')
  t.equal(await c.get(b.desc), undefined, 'wrong size')
  await writeFile(join(dir, 'file'), 'not a dir')
  const broken = new JsonBlobCache(join(dir, 'file', 'sub'))
  await t.resolves(broken.put(b.bytes))
  t.equal(await broken.get(b.desc), undefined)
})

t.test('size is bounded: past a bound the oldest entries go (a read or a push again counts as use), and dead writers\' temp files', async (t) => {
  let now = 1_000_000_000_000
  const c = new JsonBlobCache(dir, { maxEntries: 8, now: () => now })
  const bs = Array.from({ length: 8 }, (_, i) => blob(`e${i}`))
  for (const [i, b] of bs.entries()) {
    await c.put(b.bytes)
    const at = new Date(now + i * 1000)
    await utimes(join(dir, b.desc.digest.slice(7)), at, at)
  }
  await c.settled()
  now += 10_000
  t.ok(await c.get(bs[0]!.desc), 'the oldest is used, so it is the newest now')
  await c.put(bs[1]!.bytes)
  await c.settled()
  await writeFile(join(dir, `${'0'.repeat(64)}.1.0.tmp`), 'x')
  const old = new Date(now - 2 * 3600_000)
  await utimes(join(dir, `${'0'.repeat(64)}.1.0.tmp`), old, old)
  await c.put(blob('ninth').bytes)
  await c.prune()
  const left = new Set(await readdir(dir))
  t.equal([...left].filter((n) => /^[0-9a-f]{64}$/.test(n)).length, 6, 'down to 3/4 of the bound')
  t.ok(left.has(bs[0]!.desc.digest.slice(7)), 'the entry just read stays')
  t.ok(left.has(bs[1]!.desc.digest.slice(7)), 'the entry just pushed again stays')
  for (const i of [2, 3, 4]) t.notOk(left.has(bs[i]!.desc.digest.slice(7)), `the oldest unused went (${i})`)
  t.notOk([...left].some((n) => n.endsWith('.tmp')), 'stale temp file removed')
})

t.test('a process prunes on its first write only when the last prune is old', async (t) => {
  let now = 2_000_000_000_000
  const fill = async (c: JsonBlobCache, tag: string) => {
    for (let i = 0; i < 3; i++) await c.put(blob(`${tag}${i}`).bytes)
    await c.settled()
  }
  // Eight writes per prune at most: maxEntries 64 keeps the in-process trigger out of the way.
  const a = new JsonBlobCache(dir, { maxEntries: 64, maxBytes: 1, now: () => now })
  await fill(a, 'a')
  const count = async () => (await readdir(dir)).filter((n) => /^[0-9a-f]{64}$/.test(n)).length
  const afterA = await count()
  t.ok(afterA < 3, `first write pruned (no stamp yet): only what came after the prune read the dir is left (${afterA})`)
  const b = new JsonBlobCache(dir, { maxEntries: 64, maxBytes: 1, now: () => now })
  await fill(b, 'b')
  t.equal(await count(), afterA + 3, 'a prune ran within the hour: none now')
  now += 3600_001
  const c = new JsonBlobCache(dir, { maxEntries: 64, maxBytes: 1, now: () => now })
  await fill(c, 'c')
  t.ok(await count() < 3, 'an hour later the next process prunes')
})

/** A registry behind a counting proxy, and its repository `name` wrapped with a cache in the test's dir; all stopped when `t` ends. */
async function wrapped(t: Test, name: string) {
  const reg = await startRegistry({ variant: 'http' })
  t.teardown(() => reg.stop())
  const p = await startFaultProxy(reg.url)
  t.teardown(() => p.stop())
  const client = createRegistryClient({})
  t.teardown(() => client.close())
  const cache = new JsonBlobCache(join(dir, 'cache'))
  return { p, client, cache, repo: withJsonBlobCache(client.repository({ registry: p.host, repository: name }), cache) }
}

t.test('a wrapped registry repository: configs read once, pushed configs kept, damaged entries read again', async (t) => {
  const { p, client, cache, repo } = await wrapped(t, 'app')
  t.equal(typeof repo.blobs.mount, 'function', 'the registry\'s own members are kept')
  t.equal(typeof repo.deleteManifest, 'function')
  const gets = () => p.requests.filter((q) => q.method === 'GET' && /\/blobs\/sha256:/.test(q.path)).length
  const pushed = blob('pushed')
  await repo.blobs.putNew!(pushed.bytes, pushed.desc)
  t.ok(repo.blobs.cached!(pushed.desc.digest), 'putNew keeps the bytes')
  t.same(await readAll(await repo.blobs.open(pushed.desc)), pushed.bytes)
  t.equal(gets(), 0, 'read from the cache')

  const other = blob('put')
  await client.repository({ registry: p.host, repository: 'app' }).blobs.put(other.bytes, other.desc)
  t.same(await readAll(await repo.blobs.open(other.desc)), other.bytes)
  t.equal(gets(), 1, 'a miss reads the registry')
  t.same(await readAll(await repo.blobs.open(other.desc)), other.bytes)
  t.equal(gets(), 1, 'then the cache')
  await writeFile(join(dir, 'cache', other.desc.digest.slice(7)), Buffer.alloc(other.bytes.length, ' '))
  t.same(await readAll(await repo.blobs.open(other.desc)), other.bytes, 'damaged entry: the right bytes all the same')
  t.equal(gets(), 2, 'read from the registry again')
  t.same(await readFile(join(dir, 'cache', other.desc.digest.slice(7))), other.bytes, 'and the entry is whole again')

  const third = blob('third')
  await repo.blobs.put(third.bytes, third.desc)
  t.ok(repo.blobs.cached!(third.desc.digest), 'put keeps the bytes')
  const layer = Buffer.from('not json')
  const layerDesc = { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }
  await repo.blobs.put(layer, layerDesc)
  t.notOk(repo.blobs.cached!(layerDesc.digest), 'layers are not kept')
  t.same(await readAll(await repo.blobs.open(layerDesc)), layer)
  await cache.settled()
})

t.test('a wrapped repository keeps manifests it is given and reads them back by digest only when their bytes tell their type', async (t) => {
  const { p, cache, repo } = await wrapped(t, 'run')
  const cfg = blob('run config')
  await repo.blobs.put(cfg.bytes, cfg.desc)
  const manifest = (withType: boolean) => Buffer.from(JSON.stringify({ schemaVersion: 2, ...(withType ? { mediaType: 'application/vnd.oci.image.manifest.v1+json' } : {}), config: cfg.desc, layers: [] }))
  const typed = manifest(true)
  const untyped = manifest(false)
  await repo.manifests.put('typed', typed, 'application/vnd.oci.image.manifest.v1+json')
  await repo.manifests.put('untyped', untyped, 'application/vnd.oci.image.manifest.v1+json')
  // Served as Docker's type with bytes that name none (distribution refuses such a PUT; other stores may not):
  // their shape says OCI, so a kept copy would come back as another type.
  const mislabelled = Buffer.from(JSON.stringify({ schemaVersion: 2, config: cfg.desc, layers: [], annotations: { a: 'b' } }))

  t.equal(await repo.manifests.getCached!(sha256(typed)), undefined, 'nothing kept yet')
  for (const tag of ['typed', 'untyped']) await repo.manifests.keep!(await repo.manifests.get(tag))
  await repo.manifests.keep!({ value: JSON.parse(mislabelled.toString()), bytes: mislabelled,
    descriptor: { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: sha256(mislabelled), size: mislabelled.length } })
  const before = p.requests.length
  const a = await repo.manifests.getCached!(sha256(typed))
  t.same(a?.descriptor, { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256(typed), size: typed.length })
  t.same(a?.bytes, typed)
  t.equal((a?.value as { config: { digest: string } }).config.digest, cfg.desc.digest)
  const b = await repo.manifests.getCached!(sha256(untyped))
  t.equal(b?.descriptor.mediaType, 'application/vnd.oci.image.manifest.v1+json', 'no mediaType member: the type its shape shows')
  t.equal(await repo.manifests.getCached!(sha256(mislabelled)), undefined, 'a type the bytes cannot tell again is not kept')
  t.equal(p.requests.length, before, 'the registry is not asked')

  await writeFile(join(dir, 'cache', sha256(typed).slice(7)), Buffer.alloc(typed.length, ' '))
  t.equal(await repo.manifests.getCached!(sha256(typed)), undefined, 'a damaged copy is a miss')
  t.equal(await repo.manifests.getCached!(cfg.desc.digest), undefined, 'a config under its digest is no manifest')
  t.equal(typeof repo.manifests.putWithBlobs, 'function', 'the registry\'s own manifest members are kept')
  await cache.settled()
})
