import t from 'tap'
import { startTokenIssuer } from '../../registry-fixtures/index.js'
import { Authenticator } from '../../lib/registry/auth.js'
import { createDispatchers, sendWire } from '../../lib/registry/http.js'
import { staticKeychain, UnauthorizedError, type Credential } from '../../lib/registry/index.js'

const issuer = await startTokenIssuer({ users: { alice: 'pw-alice-123' }, ttlSeconds: 300 })
t.teardown(() => issuer.stop())
const d = createDispatchers({})
t.teardown(() => d.close())

function auth(cred: Credential | undefined, clock = { now: 1_000_000 }, registry = '127.0.0.1:1') {
  const a = new Authenticator({
    registry, keychain: staticKeychain(cred ? { [registry]: cred } : {}), userAgent: 'test', insecureRegistries: [],
    send: (req) => sendWire(req, d.forHost), now: () => clock.now,
  })
  a.challenge = { scheme: 'bearer', params: { realm: issuer.realm, service: issuer.service } }
  return a
}

t.test('Basic credentials → GET token with account and one scope param each; cache and superset reuse', async (t) => {
  issuer.requests.length = 0
  const clock = { now: 1_000_000 }
  const a = auth({ username: 'alice', password: 'pw-alice-123' }, clock)
  const h1 = await a.authorize(['repository:x:push,pull', 'repository:y:pull'])
  t.match(h1, /^Bearer [\w-]+\.[\w-]+\.[\w-]+$/)
  t.same(issuer.requests[0]!.scopes, ['repository:x:pull,push', 'repository:y:pull'])
  t.equal(issuer.requests[0]!.account, 'alice')
  t.ok(issuer.requests[0]!.authenticated)
  t.equal(await a.authorize(['repository:x:pull']), h1, 'a token covering a superset is reused')
  t.equal(issuer.requests.length, 1)
  clock.now += 269_000
  t.equal(await a.authorize(['repository:x:pull']), h1, 'still valid 270 s before expiry - 30 s margin')
  clock.now += 2_000
  const h2 = await a.authorize(['repository:x:pull'])
  t.not(h2, h1, 'refreshed ~30 s before expiry')
  t.equal(issuer.requests.length, 2)
  t.ok(a.secrets().includes(h1!.slice(7)))
})

t.test('parallel callers share one token request', async (t) => {
  issuer.requests.length = 0
  const a = auth({ username: 'alice', password: 'pw-alice-123' })
  const hs = await Promise.all([1, 2, 3, 4].map(() => a.authorize(['repository:p:pull'])))
  t.equal(new Set(hs).size, 1)
  t.equal(issuer.requests.length, 1)
})

t.test('anonymous: no Authorization to the realm; Basic challenge; registry token', async (t) => {
  issuer.requests.length = 0
  const anon = auth(undefined)
  await anon.authorize(['repository:p:pull'])
  t.notOk(issuer.requests[0]!.authenticated)
  t.ok(anon.anonymous)
  const basic = auth({ username: 'u', password: 'p' })
  basic.challenge = { scheme: 'basic', params: { realm: 'r' } }
  t.equal(await basic.authorize([]), `Basic ${Buffer.from('u:p').toString('base64')}`)
  const rt = auth({ registryToken: 'ready-token' })
  t.equal(await rt.authorize(['repository:p:pull']), 'Bearer ready-token')
  const none = auth(undefined)
  none.challenge = undefined
  t.equal(await none.authorize(['repository:p:pull']), undefined)
})

t.test('wrong password at the token server: UnauthorizedError without the password', async (t) => {
  const a = auth({ username: 'alice', password: 'not-the-password' })
  const e = await a.authorize(['repository:p:pull']).catch((x: unknown) => x)
  t.ok(e instanceof UnauthorizedError)
  t.notMatch(JSON.stringify({ ...(e as object), m: (e as Error).message }), /not-the-password/)
})

t.test('401 insufficient_scope: union of challenge and request scopes, new token', async (t) => {
  issuer.requests.length = 0
  const a = auth({ username: 'alice', password: 'pw-alice-123' })
  const used = await a.authorize(['repository:t:pull,push'])
  const retry = await a.onUnauthorized(used,
    `Bearer realm="${issuer.realm}",service="${issuer.service}",scope="repository:t:pull,push repository:s:pull",error="insufficient_scope"`,
    ['repository:t:pull,push'])
  t.ok(retry)
  t.same(issuer.requests.at(-1)!.scopes, ['repository:t:pull,push', 'repository:s:pull'])
  const again = await a.authorize(['repository:t:pull,push'])
  t.not(again, used, 'the refused token is not reused')
  t.notOk(await auth({ registryToken: 'x' }).onUnauthorized('Bearer x', undefined, []), 'a fixed token cannot be refreshed')
  const b = auth({ username: 'u', password: 'p' })
  b.challenge = { scheme: 'basic', params: {} }
  t.notOk(await b.onUnauthorized('Basic x', 'Basic realm="r"', []), 'wrong Basic credentials: no retry')
  const fresh = auth(undefined)
  fresh.challenge = undefined
  t.ok(await fresh.onUnauthorized(undefined, 'Basic realm="r"', []), 'first challenge learned after an anonymous ping')
})

t.test('plain-HTTP realm for a non-loopback registry is refused before sending', async (t) => {
  const a = auth({ username: 'alice', password: 'pw' }, { now: 0 }, 'reg.example')
  a.challenge = { scheme: 'bearer', params: { realm: 'http://10.1.2.3/token', service: 's' } }
  await t.rejects(a.authorize(['repository:p:pull']), { code: 'ERR_REGISTRY_PROTOCOL', message: /over plain HTTP/ })
  a.challenge = { scheme: 'bearer', params: {} }
  await t.rejects(a.authorize(['repository:p:pull']), { message: /without a valid realm/ })
})
