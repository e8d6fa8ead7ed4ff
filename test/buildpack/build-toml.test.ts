import t from 'tap'
import { parseBuildToml } from '../../lib/buildpack/index.js'

const P = '/layers/acme_node/build.toml'

t.test('parseBuildToml reads [[unmet]] and checks them against the plan', async (t) => {
  t.same(parseBuildToml('[[unmet]]\nname = "node"\n[[unmet]]\nname = "npm"', P, ['node', 'npm', 'yarn']), { unmet: ['node', 'npm'] })
  t.same(parseBuildToml('', P, []), { unmet: [] })
  t.same(parseBuildToml('[[bom]]\nname = "legacy"', P, []), { unmet: [] }, 'legacy bom ignored')
  const bad: [string, string | undefined, RegExp][] = [
    ['[[unmet]]\nname = "other"', 'unmet[0].name', /not an entry of this buildpack's plan/],
    ['[[unmet]]\nfoo = 1', 'unmet[0].name', /required/],
    ['unmet = "x"', 'unmet', /array/],
    ['[[unmet]', undefined, /invalid TOML/],
  ]
  for (const [text, key, re] of bad) {
    t.throws(() => parseBuildToml(text, P, ['node']), { code: 'ERR_BUILDPACK_BUILD_TOML', key, path: P, message: re }, text)
  }
})
