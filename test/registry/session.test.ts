import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
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

t.test('a kept ping answer: the next client starts without GET /v2/', async (t) => {
  const p = await proxy(t, reg.url)
  const file = join(t.testdir(), 'registries.json')
  const one = client(t, reg, { host: p.host, capabilitiesFile: file })
  await one.repository({ registry: p.host, repository: 'ses/a' }).manifests.get('v1')
  await one.close()
  t.equal(p.requests.filter((r) => r.path === '/v2/').length, 1)
  const lines: string[] = []
  const two = client(t, reg, { host: p.host, capabilitiesFile: file, lines })
  t.equal((await two.repository({ registry: p.host, repository: 'ses/a' }).manifests.get('v1')).bytes.length, idx.length)
  t.equal(p.requests.filter((r) => r.path === '/v2/').length, 1, 'no second ping')
  t.ok(lines.some((l) => /kept from an earlier run/.test(l)))
})

t.test('a kept bearer challenge: straight to the token server, then the request', async (t) => {
  const tok = await registry(t, { variant: 'token' })
  const p = await proxy(t, tok.url)
  const file = join(t.testdir(), 'registries.json')
  const seedRepo = client(t, tok, { host: p.host }).repository({ registry: p.host, repository: 'ses/b' })
  await seedRepo.manifests.put('v1', idx, MediaTypes.OCI_INDEX)
  const one = client(t, tok, { host: p.host, capabilitiesFile: file })
  await one.repository({ registry: p.host, repository: 'ses/b' }).manifests.get('v1')
  await one.close()
  const mark = p.requests.length
  const two = client(t, tok, { host: p.host, capabilitiesFile: file })
  await two.repository({ registry: p.host, repository: 'ses/b' }).manifests.get('v1')
  t.same(p.requests.slice(mark).map((r) => `${r.method} ${r.path} ${r.status}`), ['GET /v2/ses/b/manifests/v1 200'], 'no ping, no 401')
})

t.test('a kept answer that no longer holds is dropped: the session pings and the request succeeds', async (t) => {
  const now = Date.now()
  const write = (file: string, host: string, ping: object): void => {
    writeFileSync(file, JSON.stringify({ version: 1, pings: { [host]: { ...ping, t: now } } }))
  }
  t.test('plain HTTP kept for what is now a TLS port', async (t) => {
    const tls = await registry(t, { variant: 'tls-basic' })
    const file = join(t.testdir(), 'registries.json')
    write(file, tls.host, { base: `http://${tls.host}` })
    const lines: string[] = []
    const c = client(t, tls, { capabilitiesFile: file, lines })
    const repo = c.repository({ registry: tls.host, repository: 'ses/c' })
    await repo.manifests.put('v1', idx, MediaTypes.OCI_INDEX)
    t.equal((await repo.manifests.get('v1')).bytes.length, idx.length)
    t.ok(lines.some((l) => /did not hold \(PUT → 400\)/.test(l)), 'dropped on the first answer')
    await c.close()
    const kept = JSON.parse(readFileSync(file, 'utf8')) as { pings: Record<string, { base: string }> }
    t.equal(kept.pings[tls.host]?.base, `https://${tls.host}`, 'the right answer is kept instead')
  })
  t.test('a token server that is gone', async (t) => {
    const p = await proxy(t, reg.url)
    const file = join(t.testdir(), 'registries.json')
    write(file, p.host, { base: `http://${p.host}`, challenge: { scheme: 'bearer', params: { realm: 'http://127.0.0.1:9/token', service: 'x' } } })
    const started = Date.now()
    const c = client(t, reg, { host: p.host, capabilitiesFile: file, retry: { baseDelayMs: 1000 } })
    t.equal((await c.repository({ registry: p.host, repository: 'ses/a' }).manifests.get('v1')).bytes.length, idx.length)
    t.ok(Date.now() - started < 900, 'no backoff on the dead token server')
    t.equal(p.requests.filter((r) => r.path === '/v2/').length, 1, 'pinged instead')
  })
  t.test('anonymous kept, auth required now: the 401 brings the challenge', async (t) => {
    const tok = await registry(t, { variant: 'token' })
    const file = join(t.testdir(), 'registries.json')
    write(file, tok.host, { base: `http://${tok.host}` })
    const c = client(t, tok, { capabilitiesFile: file })
    const repo = c.repository({ registry: tok.host, repository: 'ses/d' })
    await repo.manifests.put('v1', idx, MediaTypes.OCI_INDEX)
    t.equal((await repo.manifests.get('v1')).bytes.length, idx.length)
  })
  t.test('a damaged entry is ignored', async (t) => {
    const p = await proxy(t, reg.url)
    const file = join(t.testdir(), 'registries.json')
    write(file, p.host, { base: 'ftp://elsewhere' })
    const c = client(t, reg, { host: p.host, capabilitiesFile: file })
    await c.repository({ registry: p.host, repository: 'ses/a' }).manifests.get('v1')
    t.equal(p.requests.filter((r) => r.path === '/v2/').length, 1)
  })
})
