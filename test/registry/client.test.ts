import t from 'tap'
import { inspect } from 'node:util'
import { freePort } from '../../registry-fixtures/index.js'
import { sha256 } from '../../lib/digest/index.js'
import { MediaTypes } from '../../lib/oci/index.js'
import {
  createRegistryClient, dockerConfigKeychain, UnauthorizedError, UnreachableError, type RegistryError,
} from '../../lib/registry/index.js'
import { blob, client, manifestBytes, proxy, readAll, registry } from './fixture-helpers.js'

function serialized(err: unknown): string {
  const own = (e: unknown): unknown => (e instanceof Error ? { ...e, message: e.message, stack: e.stack, cause: own((e as { cause?: unknown }).cause) } : e)
  return `${JSON.stringify(own(err))}\n${inspect(err, { depth: 10 })}\n${String(err)}`
}

t.test('TLS + Basic with the CA file and docker config; push, pull, stats', async (t) => {
  const reg = await registry(t, { variant: 'tls-basic' })
  const lines: string[] = []
  const c = client(t, reg, { keychain: dockerConfigKeychain({ configDir: reg.dockerConfigDir }), lines })
  const repo = c.repository({ registry: reg.host, repository: 'cli/tls' })
  t.equal(repo.name, `${reg.host}/cli/tls`)
  const layer = blob(10_000)
  const cfg = Buffer.from('{}')
  await repo.blobs.put(layer.bytes)
  await repo.blobs.put(cfg)
  const m = manifestBytes({ digest: sha256(cfg), size: 2 }, [layer])
  await repo.manifests.put('v1', m, MediaTypes.OCI_MANIFEST)
  t.same(Buffer.from((await repo.manifests.get('v1')).bytes), m)
  t.same(await readAll(await repo.blobs.open(layer)), layer.bytes)
  t.match(c.stats, { blobsUploaded: 2, bytesUploaded: 10_002 + m.length, bytesDownloaded: 10_000 + m.length })
  t.ok(c.stats.requests > 5)
  t.ok(lines.some((l) => l.includes(`https://${reg.host} (basic)`)))
  for (const l of lines) t.notOk(l.includes(reg.password!), 'log lines carry no password')
})

t.test('TLS without the CA: clear "pass --ca-cert" error; wrong password: clear auth error without secrets', async (t) => {
  const reg = await registry(t, { variant: 'tls-basic' })
  const noCa = createRegistryClient({ keychain: { resolve: async () => undefined }, retry: { baseDelayMs: 1 } })
  t.teardown(() => noCa.close())
  const e1 = await noCa.repository({ registry: reg.host, repository: 'x/y' }).manifests.get('v1').catch((x: unknown) => x)
  t.ok(e1 instanceof UnreachableError, String(e1))
  t.match((e1 as Error).message, /--ca-cert FILE/)

  const password = 'wrong-Pa55word-for-test'
  const lines: string[] = []
  const bad = client(t, reg, { keychain: { resolve: async () => ({ username: 'lading', password }) }, lines })
  const e2 = await bad.repository({ registry: reg.host, repository: 'x/y' }).manifests.get('v1').catch((x: unknown) => x)
  t.ok(e2 instanceof UnauthorizedError)
  t.equal((e2 as RegistryError).status, 401)
  t.match((e2 as Error).message, new RegExp(`authentication failed for ${reg.host.replace(/\./g, '\\.')}.*check the username/password`))
  const text = serialized(e2) + lines.join('\n')
  t.notOk(text.includes(password), 'no password in error or logs')
  t.notOk(text.includes(Buffer.from(`lading:${password}`).toString('base64')), 'no Basic value')
})

t.test('token auth: push scopes first, mount scope in the same token, invalid_token refresh', async (t) => {
  const reg = await registry(t, { variant: 'token' })
  const p = await proxy(t, reg.url)
  const lines: string[] = []
  const c = client(t, reg, { host: p.host, lines })
  const src = c.repository({ registry: p.host, repository: 'tok/src' })
  const b = blob(3000)
  await src.blobs.put(b.bytes)
  const dst = c.repository({ registry: p.host, repository: 'tok/dst' })
  await dst.blobs.put(() => readableOf(b.bytes), { digest: b.digest, size: b.size }, { mountFrom: ['tok/src'] })
  t.equal(c.stats.blobsMounted, 1)
  const scopes = reg.tokenIssuer!.requests.map((r) => r.scopes.join(' '))
  t.same(scopes, ['repository:tok/src:pull,push', 'repository:tok/dst:pull,push repository:tok/src:pull'])
  t.ok(reg.tokenIssuer!.requests.every((r) => r.authenticated && r.method === 'GET'))
  // A pull in the source reuses the push token (superset), no new token request.
  t.equal((await src.blobs.stat(b.digest))?.size, 3000)
  t.equal(reg.tokenIssuer!.requests.length, 2)

  p.setRules([{ match: { method: 'HEAD', path: /blobs/, nth: 1 }, action: { status: 401,
    headers: { 'www-authenticate': `Bearer realm="${reg.tokenIssuer!.realm}",service="${reg.tokenIssuer!.service}",scope="repository:tok/src:pull",error="invalid_token"` } } }])
  t.equal((await src.blobs.stat(b.digest))?.size, 3000)
  t.equal(reg.tokenIssuer!.requests.length, 3, 'one new token after invalid_token')
  t.ok(lines.some((l) => /refreshed token.*invalid_token/.test(l)))

  // A refusal that persists: one refresh, one retry, then a clean error without tokens or password.
  p.setRules([{ match: { method: 'HEAD', path: /blobs/ }, action: { status: 401,
    headers: { 'www-authenticate': `Bearer realm="${reg.tokenIssuer!.realm}",service="${reg.tokenIssuer!.service}",error="invalid_token"` } } }])
  const e = await src.blobs.stat(b.digest).catch((x: unknown) => x)
  t.ok(e instanceof UnauthorizedError)
  const tokens = p.requests.map((r) => r.headers.authorization).filter((a): a is string => !!a).map((a) => a.replace(/^Bearer /, ''))
  t.ok(tokens.length > 0)
  const text = serialized(e) + lines.join('\n')
  for (const tok of new Set(tokens)) t.notOk(text.includes(tok), 'no token in error or logs')
  t.notOk(text.includes(reg.password!))
})

t.test('insecure registry: TLS verification off for a listed host, no CA needed; user agent sent', async (t) => {
  const reg = await registry(t, { variant: 'tls-basic' })
  const c = createRegistryClient({
    keychain: dockerConfigKeychain({ configDir: reg.dockerConfigDir }), insecureRegistries: [reg.host], userAgent: 'lading-test/1',
  })
  t.teardown(() => c.close())
  const repo = c.repository({ registry: reg.host, repository: 'ins/a' })
  const b = blob(100)
  await repo.blobs.put(b.bytes)
  t.same((await repo.blobs.stat(b.digest))?.size, 100)
})

t.test('identity token: OAuth2 refresh_token grant', async (t) => {
  const reg = await registry(t, { variant: 'token' })
  const issuer = reg.tokenIssuer!
  const res = await fetch(issuer.realm, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username: reg.username!, password: reg.password!, service: issuer.service, client_id: 't', access_type: 'offline' }) })
  const refresh = ((await res.json()) as { refresh_token: string }).refresh_token
  const c = client(t, reg, { keychain: { resolve: async () => ({ identityToken: refresh }) } })
  await c.repository({ registry: reg.host, repository: 'id/a' }).blobs.put(blob(10).bytes)
  const last = issuer.requests.at(-1)!
  t.equal(last.method, 'POST')
  t.equal(last.grantType, 'refresh_token')
  t.same(last.scopes, ['repository:id/a:pull,push'])
})

t.test('short-lived tokens (expires_in 2 s) are refreshed before use between pushes', async (t) => {
  const reg = await registry(t, { variant: 'token', tokenTtlSeconds: 2 })
  const c = client(t, reg)
  const repo = c.repository({ registry: reg.host, repository: 'ttl/a' })
  await repo.blobs.put(blob(100).bytes)
  await new Promise((r) => setTimeout(r, 2500))
  await repo.blobs.put(blob(100).bytes)
  t.equal(reg.tokenIssuer!.requests.length, 2)
  t.ok(reg.tokenIssuer!.requests.every((r) => r.status === 200))
})

t.test('parallel pushes share one ping and one token request', async (t) => {
  const reg = await registry(t, { variant: 'token' })
  const p = await proxy(t, reg.url)
  const c = client(t, reg, { host: p.host })
  const repo = c.repository({ registry: p.host, repository: 'par/a' })
  const blobs = Array.from({ length: 8 }, () => blob(5000))
  const ds = await Promise.all(blobs.map((b, i) => i % 2 ? repo.blobs.put(b.bytes) : repo.blobs.put(() => readableOf(b.bytes), { digest: b.digest, size: b.size })))
  t.same(ds.map((d) => d.digest), blobs.map((b) => b.digest))
  t.equal(p.requests.filter((r) => r.path === '/v2/').length, 1, 'one ping (the https probe never gets past TLS)')
  t.equal(reg.tokenIssuer!.requests.length, 1)
  t.equal(c.stats.blobsUploaded, 8)
})

t.test('registry down: fails fast with a clear unreachable error, no retries', async (t) => {
  const port = await freePort()
  const c = client(t, undefined, { retry: { maxAttempts: 4, baseDelayMs: 1000 } })
  const e = await c.repository({ registry: `127.0.0.1:${port}`, repository: 'a/b' }).manifests.get('latest').catch((x: unknown) => x)
  t.ok(e instanceof UnreachableError)
  t.equal((e as UnreachableError).code, 'ERR_REGISTRY_UNREACHABLE')
  t.match((e as Error).message, new RegExp(`cannot reach registry 127\\.0\\.0\\.1:${port}: connection refused`))
  t.equal(c.stats.retries, 0)
})

t.test('Docker Hub names share one session and normalise to docker.io (no network)', async (t) => {
  const c = createRegistryClient({ keychain: { resolve: async () => undefined } })
  t.teardown(() => c.close())
  t.equal(c.repository({ registry: 'index.docker.io', repository: 'library/ubuntu' }).name, 'docker.io/library/ubuntu')
  t.equal(c.repository({ registry: 'docker.io', repository: 'library/ubuntu' }).registry, 'docker.io')
  t.throws(() => createRegistryClient({ caCertFiles: ['/nonexistent/ca.pem'] }), { code: 'ERR_REGISTRY_CA_FILE' })
})

function readableOf(b: Buffer) {
  return import('node:stream').then((m) => m.Readable.from([b]))
}
