import t from 'tap'
import { existsSync } from 'node:fs'
import { blob, blobDataPath, proxied, registry } from './fixture-helpers.js'

const reg = await registry(t)

t.test('distribution opens a session for a POST with the blob: PUT with the bytes; later uploads send an empty POST', async (t) => {
  const lines: string[] = []
  const { p, c, repo } = await proxied(t, reg, 'post/a', [], { lines })
  const a = blob(300)
  const d = await repo.blobs.putNew!(a.bytes, { digest: a.digest, mediaType: 'application/vnd.oci.image.config.v1+json' })
  t.same(d, { mediaType: 'application/vnd.oci.image.config.v1+json', digest: a.digest, size: 300 })
  t.ok(existsSync(blobDataPath(reg, a.digest)))
  t.same(p.requests.map((r) => `${r.method} ${r.status} ${r.bytesIn}`).slice(1), ['POST 202 300', 'PUT 201 300'], 'no HEAD; the bytes went on the POST and again on the PUT')
  t.ok(lines.some((l) => /does not store a blob sent on the POST/.test(l)))
  const mark = p.requests.length
  const b = blob(200)
  await repo.blobs.putNew!(b.bytes, { digest: b.digest })
  t.same(p.requests.slice(mark).map((r) => `${r.method} ${r.status} ${r.bytesIn}`), ['POST 202 0', 'PUT 201 200'])
  t.equal(c.stats.blobsUploaded, 2)
})

t.test('a registry that stores the blob on the POST: one request', async (t) => {
  const { p, repo } = await proxied(t, reg, 'post/b', [{ match: { method: 'POST', path: /\?digest=/ }, action: { status: 201, body: '' } }])
  const a = blob(100)
  await repo.blobs.putNew!(a.bytes, { digest: a.digest })
  t.same(p.requests.slice(1).map((r) => `${r.method} ${r.status}`), ['POST 201'])
})

t.test('a registry that refuses a body on the POST, and a PUT that fails: the full path stores the blob', async (t) => {
  const { p, repo } = await proxied(t, reg, 'post/c', [
    { match: { method: 'POST', path: /\?digest=/ }, action: { status: 405, body: '' } },
    { match: { method: 'PUT', nth: 1 }, action: { status: 500, body: '' } },
  ])
  const a = blob(100)
  await repo.blobs.putNew!(a.bytes, { digest: a.digest })
  t.ok(existsSync(blobDataPath(reg, a.digest)))
  t.same(p.requests.slice(1).map((r) => `${r.method} ${r.status}`), ['POST 405', 'POST 202', 'PUT 500', 'HEAD 404', 'POST 202', 'PUT 201'])
})

t.test('bytes that do not match the expected digest are refused before sending', async (t) => {
  const { p, repo } = await proxied(t, reg, 'post/d')
  const a = blob(10)
  await t.rejects(repo.blobs.putNew!(a.bytes, { digest: blob(10).digest }), { code: 'ERR_DIGEST_MISMATCH' })
  t.equal(p.requests.length, 0)
})
