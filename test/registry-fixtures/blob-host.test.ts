import t from 'tap'
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fetch } from 'undici'
import { startBlobHost, startRegistry } from '../../registry-fixtures/index.js'

const sha = (b: string): string => 'sha256:' + createHash('sha256').update(b).digest('hex')

t.test('serves files under its root on 127.0.0.2 with Range, 404 outside', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'blob-host-test-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  mkdirSync(join(dir, 'a'))
  writeFileSync(join(dir, 'a', 'data'), 'hello world')
  const bh = await startBlobHost(dir)
  t.teardown(() => bh.stop())
  t.match(bh.host, /^127\.0\.0\.2:\d+$/)
  const r = await fetch(`${bh.url}/a/data`, { headers: { 'x-test': '1' } })
  t.equal(await r.text(), 'hello world')
  t.equal(bh.requests[0]?.headers['x-test'], '1')
  const part = await fetch(`${bh.url}/a/data`, { headers: { range: 'bytes=6-' } })
  t.equal(part.status, 206)
  t.equal(part.headers.get('content-range'), 'bytes 6-10/11')
  t.equal(await part.text(), 'world')
  const head = await fetch(`${bh.url}/a/data`, { method: 'HEAD' })
  t.equal(head.headers.get('content-length'), '11')
  for (const p of ['/a/missing', '/a', '/../etc/passwd', '/%2e%2e/etc/passwd']) {
    const x = await fetch(bh.url + p)
    await x.arrayBuffer()
    t.equal(x.status, 404, p)
  }
})

t.test('registry redirect middleware sends blob GET/HEAD to the blob host; no Authorization leaks', async (t) => {
  const reg = await startRegistry({ variant: 'token', withBlobHost: true })
  t.teardown(() => reg.stop())
  const bh = reg.blobHost
  const issuer = reg.tokenIssuer
  if (!bh || !issuer) throw new Error('missing blob host / issuer')
  const basic = 'Basic ' + Buffer.from(`${reg.username}:${reg.password}`).toString('base64')
  const tr = await fetch(`${issuer.realm}?service=${issuer.service}&scope=repository:bh/a:pull,push`, { headers: { authorization: basic } })
  const auth = { authorization: `Bearer ${((await tr.json()) as { token: string }).token}` }
  const body = 'blob via redirect'
  const post = await fetch(`${reg.url}/v2/bh/a/blobs/uploads/`, { method: 'POST', headers: auth })
  await post.arrayBuffer()
  const loc = new URL(post.headers.get('location') ?? '')
  loc.searchParams.set('digest', sha(body))
  const put = await fetch(loc, { method: 'PUT', body, headers: auth })
  await put.arrayBuffer()
  t.equal(put.status, 201)

  for (const method of ['GET', 'HEAD']) {
    const r = await fetch(`${reg.url}/v2/bh/a/blobs/${sha(body)}`, { method, headers: auth, redirect: 'manual' })
    await r.arrayBuffer()
    t.equal(r.status, 307, method)
    const hex = sha(body).slice(7)
    t.equal(r.headers.get('location'), `${bh.url}/docker/registry/v2/blobs/sha256/${hex.slice(0, 2)}/${hex}/data`)
  }
  // A client following the redirect without credentials gets the bytes.
  const follow = await fetch(`${reg.url}/v2/bh/a/blobs/${sha(body)}`, { headers: auth, redirect: 'manual' })
  await follow.arrayBuffer()
  const got = await fetch(follow.headers.get('location') ?? '')
  t.equal(await got.text(), body)
  t.equal(bh.requests.length, 1)
  t.equal(bh.requests[0]?.headers.authorization, undefined, 'no Authorization reached 127.0.0.2')
})
