import t from 'tap'
import { createPublicKey, verify, X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { fetch } from 'undici'
import { parseScope, startTokenIssuer } from '../../registry-fixtures/index.js'

const basic = (u: string, p: string): string => 'Basic ' + Buffer.from(`${u}:${p}`).toString('base64')

t.test('parseScope splits type at the first colon and actions at the last', async (t) => {
  t.same(parseScope('repository:127.0.0.1:5000/a/b:pull,push'), { type: 'repository', name: '127.0.0.1:5000/a/b', actions: ['pull', 'push'] })
  t.same(parseScope('registry:catalog:*'), { type: 'registry', name: 'catalog', actions: ['*'] })
  t.equal(parseScope('nonsense'), undefined)
})

t.test('GET: scopes in several params and space-separated; JWT shape', async (t) => {
  const iss = await startTokenIssuer({ users: { u: 'p' }, ttlSeconds: 120 })
  t.teardown(() => iss.stop())
  const url = new URL(iss.realm)
  url.searchParams.set('service', iss.service)
  url.searchParams.append('scope', 'repository:a:pull,push repository:b:pull')
  url.searchParams.append('scope', 'repository:c:delete')
  const r = await fetch(url, { headers: { authorization: basic('u', 'p') } })
  t.equal(r.status, 200)
  const body = await r.json() as { token: string; access_token: string; expires_in: number; issued_at: string }
  t.equal(body.token, body.access_token)
  t.equal(body.expires_in, 120)
  t.ok(Date.parse(body.issued_at))
  const [h, c, s] = body.token.split('.')
  const header = JSON.parse(Buffer.from(h ?? '', 'base64url').toString())
  const claims = JSON.parse(Buffer.from(c ?? '', 'base64url').toString())
  t.equal(header.alg, 'ES256')
  t.equal(header.typ, 'JWT')
  const cert = new X509Certificate(readFileSync(iss.certFile))
  t.same(Buffer.from(header.x5c[0], 'base64'), cert.raw)
  t.ok(verify('sha256', Buffer.from(`${h}.${c}`), { key: createPublicKey(cert.publicKey.export({ type: 'spki', format: 'pem' })), dsaEncoding: 'ieee-p1363' },
    Buffer.from(s ?? '', 'base64url')), 'signature verifies')
  t.equal(claims.iss, iss.issuer)
  t.equal(claims.aud, iss.service)
  t.equal(claims.sub, 'u')
  t.equal(claims.exp, claims.iat + 120 - 60, 'exp compensates the registry leeway')
  t.same(claims.access, [
    { type: 'repository', name: 'a', actions: ['pull', 'push'] },
    { type: 'repository', name: 'b', actions: ['pull'] },
    { type: 'repository', name: 'c', actions: ['delete'] },
  ])
  const rec = iss.requests[0]
  t.equal(rec?.authenticated, true)
  t.equal(rec?.account, 'u')
  t.same(rec?.scopes, ['repository:a:pull,push', 'repository:b:pull', 'repository:c:delete'])
})

t.test('anonymous gets pull only; wrong password is 401', async (t) => {
  const iss = await startTokenIssuer({ users: { u: 'p' } })
  t.teardown(() => iss.stop())
  const anon = await fetch(`${iss.realm}?service=${iss.service}&scope=repository:a:pull,push`)
  t.equal(anon.status, 200)
  await anon.arrayBuffer()
  t.same(iss.requests[0]?.granted, [{ type: 'repository', name: 'a', actions: ['pull'] }])
  t.equal(iss.requests[0]?.authenticated, false)
  const bad = await fetch(`${iss.realm}?service=${iss.service}&scope=repository:a:pull`, { headers: { authorization: basic('u', 'x') } })
  await bad.arrayBuffer()
  t.equal(bad.status, 401)
  t.equal(iss.requests[1]?.status, 401)
})

t.test('OAuth2 POST: password grant with offline access, then refresh grant', async (t) => {
  const iss = await startTokenIssuer({ users: { u: 'p' } })
  t.teardown(() => iss.stop())
  const post = (form: Record<string, string>) => fetch(iss.realm, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  })
  const r1 = await post({ grant_type: 'password', username: 'u', password: 'p', access_type: 'offline',
    service: iss.service, client_id: 'lading', scope: 'repository:a:push,pull repository:b:pull' })
  t.equal(r1.status, 200)
  const b1 = await r1.json() as { access_token: string; refresh_token?: string }
  t.ok(b1.refresh_token, 'refresh token issued')
  const r2 = await post({ grant_type: 'refresh_token', refresh_token: b1.refresh_token ?? '', service: iss.service,
    client_id: 'lading', scope: 'repository:a:push' })
  t.equal(r2.status, 200)
  await r2.arrayBuffer()
  t.equal(iss.requests[1]?.authenticated, true)
  t.equal(iss.requests[1]?.grantType, 'refresh_token')
  t.same(iss.requests[1]?.granted, [{ type: 'repository', name: 'a', actions: ['push'] }])
  const r3 = await post({ grant_type: 'refresh_token', refresh_token: 'bogus', service: iss.service, client_id: 'x' })
  await r3.arrayBuffer()
  t.equal(r3.status, 401)
  const r4 = await post({ grant_type: 'password', username: 'u', password: 'wrong', service: iss.service, client_id: 'x' })
  await r4.arrayBuffer()
  t.equal(r4.status, 401)
})
