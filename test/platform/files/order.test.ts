import t from 'tap'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseOrder, readOrderFile, stringifyOrder, PlatformFileError } from '../../../lib/platform/index.js'

const SPEC_ORDER = `
[[order]]
  [[order.group]]
  id = "acme/web-stack"     # composite, expanded at detect time
  version = "1.4.0"
[[order]]
  [[order.group]]
  id = "acme/static"
  version = "0.9.1"
  [[order.group]]
  id = "acme/procfile"
  version = "0.3.0"
  optional = true
`

t.test('parses the spec example', async (t) => {
  const { order, notes } = parseOrder(SPEC_ORDER)
  t.same(order, [
    { group: [{ id: 'acme/web-stack', version: '1.4.0' }] },
    { group: [{ id: 'acme/static', version: '0.9.1' }, { id: 'acme/procfile', version: '0.3.0', optional: true }] },
  ])
  t.same(notes, [])
  t.notOk('optional' in order[0]!.group[0]!, 'absent optional is not materialised')
})

t.test('order-extensions are ignored with a note', async (t) => {
  const { order, notes } = parseOrder(`${SPEC_ORDER}
[[order-extensions]]
  [[order-extensions.group]]
  id = "acme/ext"
  version = "1.0.0"
`, 'my-order.toml')
  t.equal(order.length, 2)
  t.equal(notes.length, 1)
  t.match(notes[0], /my-order\.toml: \[\[order-extensions\]\] ignored \(1 group/)
})

t.test('empty file gives an empty order; version is optional', async (t) => {
  t.same(parseOrder('').order, [])
  t.same(parseOrder('[[order]]\n[[order.group]]\nid = "a"\n').order, [{ group: [{ id: 'a' }] }])
})

const BAD: Array<[string, string, RegExp]> = [
  ['not toml', 'order = [', /o\.toml: invalid TOML at line/],
  ['missing id', '[[order]]\n[[order.group]]\nversion = "1"\n', /key "order\[0\]\.group\[0\]\.id": is required/],
  ['id not a string', '[[order]]\n[[order.group]]\nid = 3\n', /key "order\[0\]\.group\[0\]\.id": must be a string, got a number/],
  ['optional not bool', '[[order]]\n[[order.group]]\nid = "a"\noptional = "yes"\n', /order\[0\]\.group\[0\]\.optional": must be a boolean/],
  ['empty id', '[[order]]\n[[order.group]]\nid = ""\n', /\.id": must not be empty/],
  ['empty group', '[[order]]\n', /key "order\[0\]": a group must list at least one buildpack/],
  ['order not tables', 'order = ["a"]\n', /key "order\[0\]": must be a table, got a string/],
  ['order a table', '[order]\nid = "a"\n', /key "order": must be an array of tables/],
]
for (const [name, text, re] of BAD) {
  t.test(`rejects: ${name}`, async (t) => {
    const err = (() => { try { parseOrder(text, 'o.toml') } catch (e) { return e } })() as PlatformFileError
    t.type(err, PlatformFileError)
    t.equal(err.code, 'ERR_PLATFORM_FILE_INVALID')
    t.equal(err.file, 'o.toml')
    t.match(err.message, re)
  })
}

t.test('stringify is stable and round-trips', async (t) => {
  const { order } = parseOrder(SPEC_ORDER)
  const text = stringifyOrder(order)
  t.equal(text, stringifyOrder(parseOrder(text).order), 'byte-stable')
  t.same(parseOrder(text).order, order)
  t.match(text, /^\[\[order\]\]\n\[\[order\.group\]\]\nid = "acme\/web-stack"\nversion = "1\.4\.0"\n/)
  t.notMatch(stringifyOrder([{ group: [{ id: 'a', optional: false }] }]), /optional/)
})

t.test('readOrderFile reads a real file and names it in errors', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lading-order-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const good = join(dir, 'order.toml')
  await writeFile(good, SPEC_ORDER)
  t.equal((await readOrderFile(good)).order.length, 2)
  const bad = join(dir, 'bad.toml')
  await writeFile(bad, '[[order]]\n[[order.group]]\n')
  await t.rejects(readOrderFile(bad), { code: 'ERR_PLATFORM_FILE_INVALID', file: bad })
  await t.rejects(readOrderFile(join(dir, 'missing.toml')), { code: 'ERR_PLATFORM_FILE_INVALID', message: /cannot read/ })
})
