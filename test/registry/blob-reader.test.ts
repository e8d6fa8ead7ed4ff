import t from 'tap'
import { blob, client, proxy, readAll, registry } from './fixture-helpers.js'

t.test('connection cut mid-download: resumed with Range from the right offset; repeated cuts fail', async (t) => {
  const reg = await registry(t)
  const c0 = client(t, reg)
  const b = blob(300_000)
  await c0.repository({ registry: reg.host, repository: 'blobs/reset' }).blobs.put(b.bytes)
  const p = await proxy(t, reg.url, [{ match: { method: 'GET', path: /\/blobs\//, nth: 1 }, action: { resetAfterBytes: 100_000, direction: 'response' } }])
  const c = client(t, reg, { host: p.host })
  const repo = c.repository({ registry: p.host, repository: 'blobs/reset' })
  t.same(await readAll(await repo.blobs.open(b)), b.bytes)
  const gets = p.requests.filter((r) => r.method === 'GET' && r.path.includes('/blobs/'))
  t.same(gets.map((r) => [r.headers.range, r.status]), [[undefined, 200], ['bytes=100000-', 206]])
  t.equal(c.stats.retries, 1)

  p.setRules([{ match: { method: 'GET', path: /\/blobs\// }, action: { resetAfterBytes: 1000, direction: 'response' } }])
  await t.rejects(readAll(await repo.blobs.open(b)), { code: 'ERR_REGISTRY_UNREACHABLE' })

  // A server that ignores Range (answers 200 again) must not be spliced.
  p.setRules([
    { match: { method: 'GET', path: /\/blobs\//, nth: 1 }, action: { resetAfterBytes: 5000, direction: 'response' } },
    { match: { method: 'GET', path: /\/blobs\//, nth: 2 }, action: { status: 200, body: 'whole thing again' } },
  ])
  await t.rejects(readAll(await repo.blobs.open(b)), { code: 'ERR_REGISTRY_PROTOCOL', message: /ignored the Range/ })
})
