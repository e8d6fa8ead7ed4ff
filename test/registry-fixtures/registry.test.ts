import t from 'tap'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Agent, fetch } from 'undici'
import { startRegistry } from '../../registry-fixtures/index.js'

const sha = (b: Buffer | string): string => 'sha256:' + createHash('sha256').update(b).digest('hex')

/** Monolithic push of `body` as a blob via POST + PUT; returns the PUT status. */
async function pushBlob(base: string, repo: string, body: string, headers: Record<string, string> = {},
  dispatcher?: Agent): Promise<number> {
  const post = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers, dispatcher })
  await post.arrayBuffer()
  if (post.status !== 202) return post.status
  const loc = new URL(post.headers.get('location') ?? '', base)
  loc.searchParams.set('digest', sha(body))
  const put = await fetch(loc, { method: 'PUT', body, headers: { ...headers, 'content-type': 'application/octet-stream' }, dispatcher })
  await put.arrayBuffer()
  return put.status
}

t.test('http variant: anonymous push works, stop() cleans up', async (t) => {
  const reg = await startRegistry()
  t.match(reg.host, /^127\.0\.0\.1:\d+$/)
  t.equal(reg.url, `http://${reg.host}`)
  const ping = await fetch(`${reg.url}/v2/`)
  t.equal(ping.status, 200)
  await ping.arrayBuffer()
  t.equal(await pushBlob(reg.url, 'fixtures/a', 'hello'), 201)
  const hex = sha('hello').slice(7)
  t.ok(existsSync(join(reg.rootDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data')), 'blob on disk')
  t.same(JSON.parse(readFileSync(join(reg.dockerConfigDir, 'config.json'), 'utf8')), { auths: {} })
  // Absolute Location by default (2.8.2 builds it from Host).
  const post = await fetch(`${reg.url}/v2/fixtures/a/blobs/uploads/`, { method: 'POST' })
  t.match(post.headers.get('location'), new RegExp(`^http://${reg.host}/v2/fixtures/a/blobs/uploads/`))
  await post.arrayBuffer()
  await reg.stop()
  t.notOk(existsSync(reg.rootDir), 'temp dir removed')
  await t.rejects(fetch(`${reg.url}/v2/`), 'registry process gone')
})

t.test('relativeUrls gives relative upload Locations', async (t) => {
  const reg = await startRegistry({ relativeUrls: true })
  t.teardown(() => reg.stop())
  const post = await fetch(`${reg.url}/v2/x/blobs/uploads/`, { method: 'POST' })
  await post.arrayBuffer()
  t.equal(post.status, 202)
  t.match(post.headers.get('location'), /^\/v2\/x\/blobs\/uploads\/[^?]+\?_state=/)
})

t.test('tls-basic variant: Basic challenge, credentials, CA', async (t) => {
  const reg = await startRegistry({ variant: 'tls-basic' })
  t.teardown(() => reg.stop())
  t.equal(reg.url, `https://${reg.host}`)
  t.ok(reg.caFile && reg.certDir && reg.username && reg.password)
  const dispatcher = new Agent({ connect: { ca: readFileSync(reg.caFile ?? '') } })
  t.teardown(() => dispatcher.close())
  const anon = await fetch(`${reg.url}/v2/`, { dispatcher })
  await anon.arrayBuffer()
  t.equal(anon.status, 401)
  t.match(anon.headers.get('www-authenticate'), /^Basic realm="lading-registry"/)
  const auth = 'Basic ' + Buffer.from(`${reg.username}:${reg.password}`).toString('base64')
  const ok = await fetch(`${reg.url}/v2/`, { dispatcher, headers: { authorization: auth } })
  await ok.arrayBuffer()
  t.equal(ok.status, 200)
  const bad = await fetch(`${reg.url}/v2/`, { dispatcher, headers: { authorization: 'Basic ' + Buffer.from('lading:nope').toString('base64') } })
  await bad.arrayBuffer()
  t.equal(bad.status, 401)
  t.equal(await pushBlob(reg.url, 'tls/a', 'x', { authorization: auth }, dispatcher), 201)
  const cfg = JSON.parse(readFileSync(join(reg.dockerConfigDir, 'config.json'), 'utf8'))
  t.equal(cfg.auths[reg.host].auth, Buffer.from(`${reg.username}:${reg.password}`).toString('base64'))
  // Without the CA the certificate is rejected.
  await t.rejects(fetch(`${reg.url}/v2/`))
})

t.test('token variant: Bearer challenge, token flow, anonymous cannot push', async (t) => {
  const reg = await startRegistry({ variant: 'token' })
  t.teardown(() => reg.stop())
  const issuer = reg.tokenIssuer
  if (!issuer) throw new Error('no issuer')
  const ping = await fetch(`${reg.url}/v2/`)
  await ping.arrayBuffer()
  t.equal(ping.status, 401)
  const challenge = ping.headers.get('www-authenticate') ?? ''
  t.match(challenge, `Bearer realm="${issuer.realm}",service="${issuer.service}"`)
  const tags = await fetch(`${reg.url}/v2/tok/a/tags/list`)
  await tags.arrayBuffer()
  t.match(tags.headers.get('www-authenticate'), 'scope="repository:tok/a:pull"')

  const getToken = async (scopes: string[], basic?: string): Promise<string> => {
    const u = new URL(issuer.realm)
    u.searchParams.set('service', issuer.service)
    for (const s of scopes) u.searchParams.append('scope', s)
    const r = await fetch(u, { headers: basic ? { authorization: basic } : {} })
    const body = await r.json() as { token: string }
    t.equal(r.status, 200)
    return body.token
  }
  const basic = 'Basic ' + Buffer.from(`${reg.username}:${reg.password}`).toString('base64')
  const token = await getToken(['repository:tok/a:pull,push'], basic)
  t.equal(await pushBlob(reg.url, 'tok/a', 'tok', { authorization: `Bearer ${token}` }), 201)
  const head = await fetch(`${reg.url}/v2/tok/a/blobs/${sha('tok')}`, { method: 'HEAD', headers: { authorization: `Bearer ${token}` } })
  t.equal(head.status, 200)

  const anon = await getToken(['repository:tok/a:pull,push'])
  const anonPull = await fetch(`${reg.url}/v2/tok/a/blobs/${sha('tok')}`, { headers: { authorization: `Bearer ${anon}` } })
  t.equal(await anonPull.text(), 'tok', 'anonymous pull allowed')
  const anonPush = await fetch(`${reg.url}/v2/tok/a/blobs/uploads/`, { method: 'POST', headers: { authorization: `Bearer ${anon}` } })
  await anonPush.arrayBuffer()
  t.equal(anonPush.status, 401)
  t.match(anonPush.headers.get('www-authenticate'), 'error="insufficient_scope"')
  const last = issuer.requests.at(-1)
  t.equal(last?.authenticated, false)
  t.same(last?.granted, [{ type: 'repository', name: 'tok/a', actions: ['pull'] }])

  const garbage = await fetch(`${reg.url}/v2/tok/a/tags/list`, { headers: { authorization: 'Bearer not.a.jwt' } })
  await garbage.arrayBuffer()
  t.equal(garbage.status, 401)
  t.match(garbage.headers.get('www-authenticate'), 'error="invalid_token"')
  const cfg = JSON.parse(readFileSync(join(reg.dockerConfigDir, 'config.json'), 'utf8'))
  t.ok(cfg.auths[reg.host].auth)

  // exp = now + ttl - 60: a negative TTL yields a token already past the registry's 60 s leeway.
  issuer.ttlSeconds = -5
  const expired = await getToken(['repository:tok/a:pull'], basic)
  const r = await fetch(`${reg.url}/v2/tok/a/tags/list`, { headers: { authorization: `Bearer ${expired}` } })
  await r.arrayBuffer()
  t.equal(r.status, 401)
  t.match(r.headers.get('www-authenticate'), 'error="invalid_token"')
})

t.test('token variant honours tokenTtlSeconds', async (t) => {
  const reg = await startRegistry({ variant: 'token', tokenTtlSeconds: 90 })
  t.teardown(() => reg.stop())
  const r = await fetch(`${reg.tokenIssuer?.realm}?service=${reg.tokenIssuer?.service}&scope=repository:a:pull`)
  t.equal(((await r.json()) as { expires_in: number }).expires_in, 90)
})
