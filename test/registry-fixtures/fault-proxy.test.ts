import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { fetch } from 'undici'
import { startFaultProxy, startRegistry, type FaultProxy, type RegistryFixture } from '../../registry-fixtures/index.js'

const sha = (b: Buffer | string): string => 'sha256:' + createHash('sha256').update(b).digest('hex')

async function upload(base: string, repo: string, body: Buffer, auth?: string): Promise<{ post: string; status: number }> {
  const h: Record<string, string> = auth ? { authorization: auth } : {}
  const post = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: h })
  await post.arrayBuffer()
  const location = post.headers.get('location') ?? ''
  const loc = new URL(location, base)
  loc.searchParams.set('digest', sha(body))
  const put = await fetch(loc, { method: 'PUT', body, headers: { ...h, 'content-type': 'application/octet-stream' } })
  await put.arrayBuffer()
  return { post: location, status: put.status }
}

let reg: RegistryFixture
let proxy: FaultProxy
const blob = randomBytes(200_000)
t.before(async () => {
  reg = await startRegistry()
  proxy = await startFaultProxy(reg.url)
})
t.teardown(async () => {
  await proxy.stop()
  await reg.stop()
})
t.beforeEach(() => {
  proxy.setRules([])
  proxy.requests.length = 0
})

t.test('passes Host through: upload Location points back at the proxy; bytes counted', async (t) => {
  const r = await upload(proxy.url, 'fp/a', blob)
  t.equal(r.status, 201)
  t.match(r.post, new RegExp(`^http://${proxy.host}/v2/fp/a/blobs/uploads/`))
  const put = proxy.requests.find((x) => x.method === 'PUT')
  t.equal(put?.bytesIn, blob.length)
  t.equal(put?.status, 201)
  t.equal(put?.headers.host, proxy.host)
  const get = await fetch(`${proxy.url}/v2/fp/a/blobs/${sha(blob)}`)
  t.same(Buffer.from(await get.arrayBuffer()), blob)
  t.equal(proxy.requests.at(-1)?.bytesOut, blob.length)
  const range = await fetch(`${proxy.url}/v2/fp/a/blobs/${sha(blob)}`, { headers: { range: 'bytes=100-' } })
  t.equal(range.status, 206)
  t.equal((await range.arrayBuffer()).byteLength, blob.length - 100)
})

t.test('503 on the nth matching request only', async (t) => {
  proxy.setRules([{ match: { method: 'GET', path: /^\/v2\/$/, nth: 2 }, action: { status: 503, body: 'busy' } }])
  const codes: number[] = []
  for (let i = 0; i < 3; i++) {
    const r = await fetch(`${proxy.url}/v2/`)
    await r.arrayBuffer()
    codes.push(r.status)
  }
  t.same(codes, [200, 503, 200])
  t.equal(proxy.requests[1]?.fault, 0)
  t.equal(proxy.requests[0]?.fault, undefined)
})

t.test('every: every 3rd matching request gets 503 (periodic faults)', async (t) => {
  proxy.setRules([{ match: { method: 'GET', path: /^\/v2\/$/, every: 3 }, action: { status: 503, body: 'busy' } }])
  const codes: number[] = []
  for (let i = 0; i < 7; i++) {
    const r = await fetch(`${proxy.url}/v2/`)
    await r.arrayBuffer()
    codes.push(r.status)
  }
  t.same(codes, [200, 200, 503, 200, 200, 503, 200])
})

t.test('times: the first two matching requests get 429 with Retry-After', async (t) => {
  const date = new Date(Date.now() + 3000).toUTCString()
  proxy.setRules([
    { match: { path: /\/manifests\//, times: 1 }, action: { status: 429, headers: { 'Retry-After': '2' }, body: '{"errors":[{"code":"TOOMANYREQUESTS"}]}' } },
    { match: { path: /\/manifests\//, nth: 2 }, action: { status: 429, headers: { 'Retry-After': date } } },
  ])
  const r1 = await fetch(`${proxy.url}/v2/fp/a/manifests/latest`)
  t.equal(r1.status, 429)
  t.equal(r1.headers.get('retry-after'), '2')
  t.match(await r1.text(), 'TOOMANYREQUESTS')
  const r2 = await fetch(`${proxy.url}/v2/fp/a/manifests/latest`)
  await r2.arrayBuffer()
  t.equal(r2.status, 429)
  t.equal(r2.headers.get('retry-after'), date)
  const r3 = await fetch(`${proxy.url}/v2/fp/a/manifests/latest`)
  await r3.arrayBuffer()
  t.equal(r3.status, 404, 'third request reaches the registry')
})

t.test('delayMs holds a request back, forwarded or answered; arrival and answer times are recorded', async (t) => {
  proxy.setRules([
    { match: { method: 'GET', path: /\/v2\/slow\// }, action: { delayMs: 150 } },
    { match: { method: 'GET', path: /\/v2\/teapot\// }, action: { delayMs: 100, status: 418, body: 'no' } },
  ])
  const slow = fetch(`${proxy.url}/v2/slow/manifests/x`).then((r) => r.status)
  const teapot = fetch(`${proxy.url}/v2/teapot/manifests/x`).then(async (r) => [r.status, await r.text()])
  const quick = await fetch(`${proxy.url}/v2/`).then((r) => r.status)
  t.equal(quick, 200)
  t.equal(await slow, 404, 'forwarded to the registry after the delay')
  t.same(await teapot, [418, 'no'])
  const by = (p: string) => proxy.requests.find((q) => q.path.startsWith(p))!
  t.ok(by('/v2/slow/').answeredMs! - by('/v2/slow/').arrivedMs >= 145, 'held back')
  t.ok(by('/v2/teapot/').answeredMs! - by('/v2/teapot/').arrivedMs >= 95)
  const ping = proxy.requests.find((q) => q.path === '/v2/')!
  t.ok(ping.answeredMs! < by('/v2/slow/').answeredMs!, 'others are not held')
})

t.test('fake invalid_token challenge', async (t) => {
  const challenge = 'Bearer realm="http://127.0.0.1:1/token",service="x",error="invalid_token"'
  proxy.setRules([{ match: { method: 'PUT' }, action: { status: 401, headers: { 'WWW-Authenticate': challenge } } }])
  const r = await upload(proxy.url, 'fp/b', Buffer.from('abc'))
  t.equal(r.status, 401)
  const put = proxy.requests.find((x) => x.method === 'PUT')
  t.equal(put?.bytesIn, 3, 'request body drained and counted')
  const r2 = await fetch(`${proxy.url}/v2/fp/b/blobs/uploads/`, { method: 'PUT' })
  t.equal(r2.headers.get('www-authenticate'), challenge)
  await r2.arrayBuffer()
})

t.test('reset mid-request: only the first N body bytes are forwarded', async (t) => {
  proxy.setRules([{ match: { method: 'PATCH' }, action: { resetAfterBytes: 1000, direction: 'request' } }])
  const post = await fetch(`${proxy.url}/v2/fp/c/blobs/uploads/`, { method: 'POST' })
  await post.arrayBuffer()
  await t.rejects(fetch(post.headers.get('location') ?? '', {
    method: 'PATCH', body: blob, headers: { 'content-type': 'application/octet-stream' },
  }))
  const patch = proxy.requests.find((x) => x.method === 'PATCH')
  t.equal(patch?.bytesIn, 1000)
  t.equal(patch?.status, 0, 'no status was sent')
})

t.test('reset mid-response: client receives exactly N bytes, then an error', async (t) => {
  proxy.setRules([{ match: { method: 'GET', path: /\/blobs\/sha256:/ }, action: { resetAfterBytes: 5000, direction: 'response' } }])
  const r = await fetch(`${proxy.url}/v2/fp/a/blobs/${sha(blob)}`)
  t.equal(r.status, 200)
  t.equal(r.headers.get('content-length'), String(blob.length))
  let got = 0
  await t.rejects((async () => {
    for await (const chunk of r.body ?? []) got += (chunk as Uint8Array).length
  })())
  t.equal(got, 5000)
  t.equal(proxy.requests.at(-1)?.bytesOut, 5000)
})

t.test('redirect of blob GETs to another base URL', async (t) => {
  proxy.setRules([{ match: { method: 'GET', path: /\/blobs\/sha256:/ }, action: { redirectTo: 'http://127.0.0.2:9/' } }])
  const r = await fetch(`${proxy.url}/v2/fp/a/blobs/${sha(blob)}?x=1`, { redirect: 'manual' })
  await r.arrayBuffer()
  t.equal(r.status, 307)
  t.equal(r.headers.get('location'), `http://127.0.0.2:9/v2/fp/a/blobs/${sha(blob)}?x=1`)
})

t.test('Link header injection on tags/list keeps the registry body', async (t) => {
  const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(blob), size: blob.length }, layers: [] })
  const put = await fetch(`${proxy.url}/v2/fp/a/manifests/t1`, { method: 'PUT', body: manifest,
    headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } })
  t.equal(put.status, 201)
  await put.arrayBuffer()
  const link = '</v2/fp/a/tags/list?last=t1&n=1>; rel="next"'
  proxy.setRules([{ match: { path: /\/tags\/list/, nth: 1 }, action: { headers: { Link: link } } }])
  const r = await fetch(`${proxy.url}/v2/fp/a/tags/list?n=1`)
  t.equal(r.headers.get('link'), link)
  t.same(await r.json(), { name: 'fp/a', tags: ['t1'] })
  const r2 = await fetch(`${proxy.url}/v2/fp/a/tags/list?n=1`)
  t.equal(r2.headers.get('link'), null)
  await r2.arrayBuffer()
  proxy.setRules([{ match: { path: /\/tags\/list/ }, action: { body: '{"name":"fp/a","tags":["zz"]}' } }])
  t.same(await (await fetch(`${proxy.url}/v2/fp/a/tags/list`)).json(), { name: 'fp/a', tags: ['zz'] }, 'body overlay')
})

t.test('https target: proxy verifies with the CA and Locations use the proxy', async (t) => {
  const tls = await startRegistry({ variant: 'tls-basic' })
  t.teardown(() => tls.stop())
  const p = await startFaultProxy(tls.url, [], { ca: readFileSync(tls.caFile ?? '') })
  t.teardown(() => p.stop())
  const auth = 'Basic ' + Buffer.from(`${tls.username}:${tls.password}`).toString('base64')
  const r = await upload(p.url, 'fp/tls', Buffer.from('tls'), auth)
  t.equal(r.status, 201)
  t.match(r.post, new RegExp(`^http://${p.host}/v2/fp/tls/blobs/uploads/`))
})

t.test('redirect to a second proxy on 127.0.0.2 that records what reaches it', async (t) => {
  const other = await startFaultProxy(reg.url, [], { bindHost: '127.0.0.2' })
  t.teardown(() => other.stop())
  t.match(other.host, /^127\.0\.0\.2:\d+$/)
  proxy.setRules([{ match: { method: 'GET', path: /\/blobs\/sha256:/ }, action: { redirectTo: other.url } }])
  const r = await fetch(`${proxy.url}/v2/fp/a/blobs/${sha(blob)}`, { headers: { authorization: 'Basic c2VjcmV0' } })
  t.same(Buffer.from(await r.arrayBuffer()), blob, 'undici followed the 307 and got the blob')
  t.equal(other.requests.length, 1)
  t.equal(other.requests[0]?.headers.authorization, undefined, 'undici dropped Authorization across origins')
})
