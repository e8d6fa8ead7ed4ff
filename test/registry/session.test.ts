import t from 'tap'
import { MediaTypes } from '../../lib/oci/index.js'
import { ServerError, UnreachableError } from '../../lib/registry/index.js'
import { client, proxy, registry } from './fixture-helpers.js'

const reg = await registry(t)
const seed = client(t, reg)
const idx = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.OCI_INDEX, manifests: [] }))
await seed.repository({ registry: reg.host, repository: 'ses/a' }).manifests.put('v1', idx, MediaTypes.OCI_INDEX)

t.test('503 then success; ping challenge cached (one /v2/ per client)', async (t) => {
  const p = await proxy(t, reg.url, [{ match: { method: 'GET', path: /manifests/, nth: 1, times: 2 }, action: { status: 503, body: '' } }])
  const lines: string[] = []
  const c = client(t, reg, { host: p.host, lines })
  const repo = c.repository({ registry: p.host, repository: 'ses/a' })
  t.equal((await repo.manifests.get('v1')).bytes.length, idx.length)
  await repo.manifests.get('v1')
  t.equal(c.stats.retries, 2)
  t.equal(p.requests.filter((r) => r.path === '/v2/').length, 1)
  t.ok(lines.some((l) => /retry 1\/3 in \d+ms: GET .* → 503/.test(l)))
})

t.test('persistent 500: ServerError after maxAttempts', async (t) => {
  const p = await proxy(t, reg.url, [{ match: { method: 'GET', path: /manifests/ }, action: { status: 500, body: '{"errors":[{"code":"UNKNOWN","message":"internal"}]}' } }])
  const c = client(t, reg, { host: p.host, retry: { maxAttempts: 3 } })
  const e = await c.repository({ registry: p.host, repository: 'ses/a' }).manifests.get('v1').catch((x: unknown) => x)
  t.ok(e instanceof ServerError)
  t.match((e as Error).message, /UNKNOWN: internal.*retry later/)
  t.equal(p.requests.filter((r) => r.path.includes('manifests')).length, 3)
})

t.test('connection reset mid-response is retried for body-less requests', async (t) => {
  const p = await proxy(t, reg.url, [{ match: { method: 'GET', path: /manifests/, nth: 1 }, action: { resetAfterBytes: 10, direction: 'response' } }])
  const c = client(t, reg, { host: p.host })
  t.equal((await c.repository({ registry: p.host, repository: 'ses/a' }).manifests.get('v1')).bytes.length, idx.length)
  t.equal(c.stats.retries, 1)
})

t.test('a registry that answered before and then refuses connections is retried, then unreachable', async (t) => {
  const p = await proxy(t, reg.url)
  const c = client(t, reg, { host: p.host, retry: { maxAttempts: 3 } })
  const repo = c.repository({ registry: p.host, repository: 'ses/a' })
  await repo.manifests.resolve('v1')
  await p.stop()
  const e = await repo.manifests.get('v1').catch((x: unknown) => x)
  t.ok(e instanceof UnreachableError)
  t.equal(c.stats.retries, 2)
})

t.test('abort signal stops a request', async (t) => {
  const c = client(t, reg)
  const ac = new AbortController()
  ac.abort()
  await t.rejects(c.repository({ registry: reg.host, repository: 'ses/a' }).manifests.get('v1', ac.signal))
})

t.test('Warning: 299 headers are logged once and otherwise ignored', async (t) => {
  const p = await proxy(t, reg.url, [{ match: { method: 'GET', path: /manifests/ }, action: { headers: { warning: '299 - "this registry is deprecated"' } } }])
  const lines: string[] = []
  const c = client(t, reg, { host: p.host, lines })
  const repo = c.repository({ registry: p.host, repository: 'ses/a' })
  await repo.manifests.get('v1')
  await repo.manifests.get('v1')
  t.same(lines.filter((l) => l.startsWith('warning')), [`warning from ${p.host}: this registry is deprecated`])
})
