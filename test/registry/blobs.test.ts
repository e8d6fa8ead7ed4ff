import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { DigestMismatchError, SizeMismatchError } from '../../lib/digest/index.js'
import { NotFoundError, UnauthorizedError } from '../../lib/registry/index.js'
import { blob, blobDataPath, client, proxy, readAll, registry } from './fixture-helpers.js'

t.test('stat and open against the plain registry; tampered data fails verification', async (t) => {
  const reg = await registry(t)
  const c = client(t, reg)
  const repo = c.repository({ registry: reg.host, repository: 'blobs/a' })
  const b = blob(50_000)
  t.equal(await repo.blobs.stat(b.digest), undefined)
  await repo.blobs.put(b.bytes)
  t.same(await repo.blobs.stat(b.digest), { mediaType: 'application/octet-stream', digest: b.digest, size: 50_000 })
  t.same(await readAll(await repo.blobs.open({ digest: b.digest, size: b.size })), b.bytes)
  t.equal(c.stats.bytesDownloaded, 50_000)
  await t.rejects(readAll(await repo.blobs.open({ digest: b.digest, size: 49_999 })), SizeMismatchError)

  // Same length, different bytes, on disk: the registry serves it, we refuse it.
  const file = blobDataPath(reg, b.digest)
  const data = readFileSync(file)
  data[1234] = data[1234]! ^ 0xff
  writeFileSync(file, data)
  await t.rejects(readAll(await repo.blobs.open({ digest: b.digest, size: b.size })), DigestMismatchError)
  await t.rejects(repo.blobs.open({ digest: blob(1).digest, size: 1 }), NotFoundError)
  const e = await repo.blobs.open({ digest: blob(1).digest, size: 1 }).catch((x: unknown) => x)
  t.equal((e as NotFoundError).what, 'blob')
})

t.test('redirect to another host (127.0.0.2): followed for GET and HEAD, no Authorization sent there', async (t) => {
  const reg = await registry(t, { variant: 'token', withBlobHost: true })
  const c = client(t, reg)
  const repo = c.repository({ registry: reg.host, repository: 'redir/a' })
  const b = blob(20_000)
  await repo.blobs.put(b.bytes)
  t.same(await readAll(await repo.blobs.open({ digest: b.digest, size: b.size })), b.bytes)
  t.same((await repo.blobs.stat(b.digest))?.size, 20_000)
  const seen = reg.blobHost!.requests
  t.ok(seen.some((r) => r.method === 'GET' && r.status === 200), 'GET served by the blob host')
  t.ok(seen.some((r) => r.method === 'HEAD'), 'HEAD redirected too')
  for (const r of seen) {
    t.equal(r.headers.authorization, undefined, `${r.method} ${r.path} carries no Authorization`)
    t.equal(r.headers.cookie, undefined)
  }
})

t.test('a proxy redirect for one blob GET to 127.0.0.2 and a wrong-password stat', async (t) => {
  const reg = await registry(t, { variant: 'tls-basic', withBlobHost: true })
  const c = client(t, reg)
  const repo = c.repository({ registry: reg.host, repository: 'redir/basic' })
  const b = blob(1000)
  await repo.blobs.put(b.bytes)
  t.same(await readAll(await repo.blobs.open(b)), b.bytes)
  for (const r of reg.blobHost!.requests) t.equal(r.headers.authorization, undefined)
  const bad = client(t, reg, { keychain: { resolve: async () => ({ username: reg.username!, password: 'wrong-password-xyz' }) } })
  await t.rejects(bad.repository({ registry: reg.host, repository: 'redir/basic' }).blobs.stat(b.digest), UnauthorizedError)
})
