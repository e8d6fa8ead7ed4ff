import t from 'tap'
import { parseYaml, tomlLocator } from '../../lib/fleet/locate.js'

t.test('TOML: headers, keys inside sections, quoted keys, top-level keys', async (t) => {
  const l = tomlLocator('x = 1\n[defaults]\nrun-image = "r"\n\n[[images]]\ntag = "a"\n"run-image" = "q"\n[[ images ]]\ntag = "b"\n')
  t.equal(l.top('x'), 1)
  t.equal(l.top('defaults'), 2)
  t.equal(l.key('defaults', 'run-image'), 3)
  t.equal(l.entry(0), 5)
  t.equal(l.key(0, 'run-image'), 7)
  t.equal(l.entry(1), 8)
  t.equal(l.key(1, 'tag'), 9)
  t.equal(l.key(1, 'env'), 8, 'a key not written in the section: the section header')
  t.equal(l.entry(5), 0, 'unknown: 0')
})

t.test('YAML: item and key lines, the first error with its line', async (t) => {
  const y = parseYaml('defaults:\n  env: {A: "1"}\nimages:\n  - tag: a\n    path: .\n')
  t.equal(y.locator.entry(0), 4)
  t.equal(y.locator.key(0, 'path'), 5)
  t.equal(y.locator.key('defaults', 'env'), 2)
  t.equal(y.locator.top('images'), 3)
  const bad = parseYaml('a: 1\na: 2\n')
  t.match(bad.error, { line: 2 })
})
