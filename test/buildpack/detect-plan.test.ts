import t from 'tap'
import { parseDetectPlan } from '../../lib/buildpack/index.js'

t.test('parseDetectPlan reads provides, requires and or', async (t) => {
  const p = parseDetectPlan(`
[[provides]]
name = "node"
[[requires]]
name = "node"
[requires.metadata]
version = "20.x"
[[or]]
  [[or.provides]]
  name = "yarn"
  [[or.requires]]
  name = "yarn"
[[or]]
`)
  t.same(p, {
    provides: [{ name: 'node' }],
    requires: [{ name: 'node', metadata: { version: '20.x' } }],
    or: [{ provides: [{ name: 'yarn' }], requires: [{ name: 'yarn' }] }, { provides: [], requires: [] }],
  })
  t.same(parseDetectPlan(''), { provides: [], requires: [], or: [] })
})

t.test('parseDetectPlan rejects bad plans', async (t) => {
  const bad: [string, string | undefined, RegExp][] = [
    ['[[requires]]\nname = "node"\nversion = "1"', 'requires[0].version', /top-level version/],
    ['[[or]]\n[[or.requires]]\nname = "n"\nversion = "1"', 'or[0].requires[0].version', /top-level version/],
    ['[[provides]]\nfoo = 1', 'provides[0].name', /required/],
    ['[[requires]]\nname = "n"\nmetadata = 1', 'requires[0].metadata', /table/],
    ['provides = "x"', 'provides', /array/],
    ['[[provides]', undefined, /invalid TOML at line 1/],
  ]
  for (const [text, key, re] of bad) {
    t.throws(() => parseDetectPlan(text, '/tmp/plan.toml'), { code: 'ERR_BUILDPACK_PLAN', key, path: '/tmp/plan.toml', message: re }, text)
  }
})
