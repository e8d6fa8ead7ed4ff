import t from 'tap'
import { NotFoundError } from '../../lib/registry/index.js'
import { client, proxy, registry } from './fixture-helpers.js'
import { MediaTypes } from '../../lib/oci/index.js'

const reg = await registry(t)
const seed = client(t, reg)
const repo = seed.repository({ registry: reg.host, repository: 'tags/a' })
const idx = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.OCI_INDEX, manifests: [] }))
for (const tag of ['a', 'b', 'c', 'd']) await repo.manifests.put(tag, idx, MediaTypes.OCI_INDEX)

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = []
  for await (const x of it) out.push(x)
  return out
}

t.test('lists tags with n=1000', async (t) => {
  const p = await proxy(t, reg.url)
  const c = client(t, reg, { host: p.host })
  t.same((await collect(c.repository({ registry: p.host, repository: 'tags/a' }).tags())).sort(), ['a', 'b', 'c', 'd'])
  t.ok(p.requests.some((r) => r.path === '/v2/tags/a/tags/list?n=1000'))
})

t.test('follows Link (relative, absolute, opaque), dedupes, stops on a repeated page', async (t) => {
  const p = await proxy(t, reg.url)
  const c = client(t, reg, { host: p.host })
  p.setRules([
    { match: { path: /tags\/list\?n=1000$/ }, action: { status: 200, headers: { 'content-type': 'application/json', link: '</v2/tags/a/tags/list?next_page=opaque%3D%3D&n=2>; rel="next"' }, body: '{"name":"tags/a","tags":["a","b"]}' } },
    { match: { path: /next_page=opaque%3D%3D/ }, action: { status: 200, headers: { 'content-type': 'application/json', link: `<${p.url}/v2/tags/a/tags/list?page=3>; rel="next"` }, body: '{"name":"tags/a","tags":["b","c"]}' } },
    { match: { path: /page=3/ }, action: { status: 200, headers: { 'content-type': 'application/json', link: '<list?page=3>; rel="next"' }, body: '{"name":"tags/a","tags":["d"]}' } },
  ])
  t.same(await collect(c.repository({ registry: p.host, repository: 'tags/a' }).tags()), ['a', 'b', 'c', 'd'])
  t.equal(p.requests.filter((r) => r.path.includes('tags/list')).length, 3, 'the repeated page-3 link is not fetched again')
})

t.test('unknown repository → NotFoundError(repository)', async (t) => {
  const c = client(t, reg)
  const e = await collect(c.repository({ registry: reg.host, repository: 'tags/none' }).tags()).catch((x: unknown) => x)
  t.ok(e instanceof NotFoundError)
  t.equal((e as NotFoundError).what, 'repository')
})
