import t from 'tap'
import { formatStoreToml, parseStoreToml } from '../../lib/buildpack/index.js'

const P = '/layers/acme_node/store.toml'

t.test('store.toml round-trips its [metadata]', async (t) => {
  const md = { counter: 3, nested: { list: ['a', 'b'] } }
  t.same(parseStoreToml(formatStoreToml(md), P), { metadata: md })
  t.same(parseStoreToml('', P), { metadata: {} })
  t.throws(() => parseStoreToml('metadata = "x"', P), { code: 'ERR_BUILDPACK_STORE_TOML', key: 'metadata', path: P })
  t.throws(() => parseStoreToml('[metadata', P), { code: 'ERR_BUILDPACK_STORE_TOML', message: /invalid TOML/ })
})
