import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { sha256 } from '../../lib/digest/index.js'
import { MediaTypes } from '../../lib/oci/index.js'
import { MAX_MANIFEST_BYTES, NotFoundError, ProtocolError, TooManyRequestsError } from '../../lib/registry/index.js'
import { blob, blobDataPath, client, manifestBytes, proxy, registry } from './fixture-helpers.js'

const reg = await registry(t)

async function pushImage(repoName: string, tag: string, annotations?: Record<string, string>) {
  const c = client(t, reg)
  const repo = c.repository({ registry: reg.host, repository: repoName })
  const cfg = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}')
  const layer = blob(100)
  await repo.blobs.put(cfg)
  await repo.blobs.put(layer.bytes)
  const bytes = manifestBytes({ digest: sha256(cfg), size: cfg.length }, [layer], annotations)
  const d = await repo.manifests.put(tag, bytes, MediaTypes.OCI_MANIFEST)
  return { repo, bytes, d, c }
}

t.test('push and pull an OCI manifest and index, by tag and digest, exact bytes', async (t) => {
  const { repo, bytes, d } = await pushImage('man/a', 'v1')
  t.same(d, { mediaType: MediaTypes.OCI_MANIFEST, digest: sha256(bytes), size: bytes.length })
  const byTag = await repo.manifests.get('v1')
  t.same(Buffer.from(byTag.bytes), bytes)
  t.same(byTag.descriptor, d)
  t.equal((await repo.manifests.get(d.digest)).descriptor.digest, d.digest)
  t.same(await repo.manifests.resolve('v1'), d)
  t.same(await repo.manifests.resolve(d.digest), d)
  t.equal(await repo.manifests.resolve('nope'), undefined)
  const index = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MediaTypes.OCI_INDEX,
    manifests: [{ ...d, platform: { architecture: 'amd64', os: 'linux' } }],
  }))
  const id = await repo.manifests.put('multi', index, MediaTypes.OCI_INDEX)
  const got = await repo.manifests.get('multi')
  t.equal(got.descriptor.mediaType, MediaTypes.OCI_INDEX)
  t.equal(got.descriptor.digest, id.digest)
  const list = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.DOCKER_LIST, manifests: [] }))
  await repo.manifests.put('list', list, MediaTypes.DOCKER_LIST)
  t.equal((await repo.manifests.get('list')).descriptor.mediaType, MediaTypes.DOCKER_LIST, 'no list → child rewrite')
})

t.test('errors: unknown manifest, unknown repository, index before children, digest ref mismatch', async (t) => {
  const { repo, c } = await pushImage('man/b', 'v1')
  const e = await repo.manifests.get('missing').catch((x: unknown) => x)
  t.ok(e instanceof NotFoundError)
  t.equal((e as NotFoundError).what, 'manifest')
  const other = c.repository({ registry: reg.host, repository: 'man/nothing-here' })
  await t.rejects(other.manifests.get('latest'), NotFoundError)
  const orphan = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.OCI_INDEX,
    manifests: [{ mediaType: MediaTypes.OCI_MANIFEST, digest: sha256('nothing'), size: 7 }] }))
  await t.rejects(repo.manifests.put('orphan', orphan, MediaTypes.OCI_INDEX), { code: 'ERR_REGISTRY_REQUEST', message: /MANIFEST_BLOB_UNKNOWN/ })
  await t.rejects(repo.manifests.put(sha256('x'), Buffer.from('{}'), MediaTypes.OCI_MANIFEST), { code: 'ERR_DIGEST_MISMATCH' })
})

t.test('a tampered manifest blob is refused when fetched by digest', async (t) => {
  const { repo, d, bytes } = await pushImage('man/tamper', 'v1', { note: 'aaaa' })
  const file = blobDataPath(reg, d.digest)
  writeFileSync(file, readFileSync(file, 'utf8').replace('aaaa', 'bbbb'))
  await t.rejects(repo.manifests.get(d.digest), { code: 'ERR_DIGEST_MISMATCH' })
  const byTag = await repo.manifests.get('v1')
  t.not(byTag.descriptor.digest, sha256(bytes), 'by tag: the digest is computed from the bytes received')
})

t.test('size caps: refuse to push > 4 MiB before sending; refuse to read > 4 MiB', async (t) => {
  const p = await proxy(t, reg.url)
  const c = client(t, reg, { host: p.host })
  const repo = c.repository({ registry: p.host, repository: 'man/big' })
  const huge = Buffer.alloc(MAX_MANIFEST_BYTES + 1, 0x20)
  await t.rejects(repo.manifests.put('big', huge, MediaTypes.OCI_MANIFEST), { code: 'ERR_MANIFEST_TOO_LARGE' })
  t.equal(p.requests.filter((r) => r.method === 'PUT').length, 0)
  const big = `{"schemaVersion":2,"manifests":[],"pad":"${'x'.repeat(MAX_MANIFEST_BYTES)}"}`
  p.setRules([{ match: { method: 'GET', path: /manifests/ }, action: { status: 200, headers: { 'content-type': MediaTypes.OCI_INDEX }, body: big } }])
  const e = await repo.manifests.get('big').catch((x: unknown) => x)
  t.ok(e instanceof ProtocolError)
  t.equal((e as ProtocolError).code, 'ERR_MANIFEST_TOO_LARGE')
})

t.test('schema1 and non-JSON manifests are rejected clearly; media type sniffed when generic', async (t) => {
  const { d } = await pushImage('man/s1', 'v1')
  const p = await proxy(t, reg.url)
  const c = client(t, reg, { host: p.host })
  const repo = c.repository({ registry: p.host, repository: 'man/s1' })
  p.setRules([{ match: { method: 'GET', path: /manifests\/old/ }, action: { status: 200,
    headers: { 'content-type': MediaTypes.DOCKER_SCHEMA1_SIGNED }, body: '{"schemaVersion":1,"name":"x","fsLayers":[]}' } },
  { match: { method: 'GET', path: /manifests\/junk/ }, action: { status: 200, headers: { 'content-type': 'text/html' }, body: '<html>' } },
  { match: { method: 'GET', path: /manifests\/v1/ }, action: { headers: { 'content-type': 'application/json' } } }])
  await t.rejects(repo.manifests.get('old'), { code: 'ERR_MANIFEST_SCHEMA1', message: /schema1/ })
  await t.rejects(repo.manifests.get('junk'), { code: 'ERR_MANIFEST_INVALID' })
  const got = await repo.manifests.get('v1')
  t.equal(got.descriptor.mediaType, MediaTypes.OCI_MANIFEST)
  t.equal(got.descriptor.digest, d.digest)
})

t.test('429 with Retry-After (seconds, HTTP-date) is waited out; beyond the cap it fails clearly', async (t) => {
  await pushImage('man/rl', 'v1')
  const p = await proxy(t, reg.url, [
    { match: { method: 'GET', path: /manifests\/v1/, nth: 1 }, action: { status: 429, headers: { 'retry-after': '0' }, body: '{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}' } },
    { match: { method: 'GET', path: /manifests\/v1/, nth: 2 }, action: { status: 429, headers: { 'retry-after': new Date(Date.now() - 1000).toUTCString() }, body: 'plain text' } },
  ])
  const c = client(t, reg, { host: p.host })
  const repo = c.repository({ registry: p.host, repository: 'man/rl' })
  t.equal((await repo.manifests.get('v1')).descriptor.mediaType, MediaTypes.OCI_MANIFEST)
  t.equal(c.stats.retries, 2)
  p.setRules([{ match: { method: 'GET', path: /manifests\/v1/ }, action: { status: 429, headers: { 'retry-after': '3600' }, body: '' } }])
  const e = await repo.manifests.get('v1').catch((x: unknown) => x) as TooManyRequestsError
  t.ok(e instanceof TooManyRequestsError)
  t.equal(e.retryAfterMs, 3_600_000)
  t.match(e.message, /retry after 3600s/)
  t.equal(p.requests.filter((r) => r.status === 429).length, 3, 'no retry when the wait exceeds maxRetryAfterMs')
})

t.test('deleteManifest', async (t) => {
  const { repo, d } = await pushImage('man/del', 'v1')
  await repo.deleteManifest(d.digest)
  t.equal(await repo.manifests.resolve(d.digest), undefined)
  t.equal(await repo.manifests.resolve('v1'), undefined)
})
