import t from 'tap'
import { BuildpackFileError } from '../../lib/buildpack/index.js'
import {
  errorsFor, isTable, optBool, optString, optStringArray, optTable, optTableArray, parseTomlTable, stringifyToml,
} from '../../lib/buildpack/toml-fields.js'

const fail = errorsFor('ERR_X', '/f.toml')

t.test('parseTomlTable reports line and column', async (t) => {
  t.same(parseTomlTable('a = 1\n[b]\nc = "d"', fail), { a: 1, b: { c: 'd' } })
  const e = t.throws(() => parseTomlTable('a = 1\nb = \n', fail)) as unknown as BuildpackFileError
  t.ok(e instanceof BuildpackFileError)
  t.equal(e.code, 'ERR_X')
  t.match(e.message, /^\/f\.toml: invalid TOML at line 2, column \d+: /)
  t.notMatch(e.message, /\n/)
})

t.test('field readers check types', async (t) => {
  const tbl = parseTomlTable('s = "x"\nb = true\na = ["1"]\nn = 1\n[t]\n[[ta]]\nk = 1\n', fail)
  t.equal(optString(tbl, 's', fail), 'x')
  t.equal(optString(tbl, 'missing', fail), undefined)
  t.throws(() => optString(tbl, 'n', fail), { key: 'n', message: /string/ })
  t.equal(optBool(tbl, 'b', fail), true)
  t.equal(optBool(tbl, 'missing', fail, 'm', true), true)
  t.throws(() => optBool(tbl, 's', fail, 'label'), { key: 'label', message: /boolean/ })
  t.same(optStringArray(tbl, 'a', fail), ['1'])
  t.same(optStringArray(tbl, 'missing', fail), [])
  t.throws(() => optStringArray(tbl, 'ta', fail))
  t.same(optTable(tbl, 't', fail), {})
  t.throws(() => optTable(tbl, 'a', fail))
  t.same(optTableArray(tbl, 'ta', fail), [{ k: 1 }])
  t.throws(() => optTableArray(tbl, 't', fail))
  t.ok(isTable({}))
  t.notOk(isTable([]))
  t.notOk(isTable(new Date()))
  t.same(parseTomlTable(stringifyToml({ metadata: { a: 'b' } }), fail), { metadata: { a: 'b' } })
})

// These readers share the platform's type checks; buildpack errors keep their own wording.
t.test('field errors keep the buildpack wording', async (t) => {
  const cases: Array<[() => unknown, string]> = [
    [() => optString({ s: 1 }, 's', fail), '/f.toml (key s): must be a string'],
    [() => optBool({ b: 'x' }, 'b', fail, 'a.b'), '/f.toml (key a.b): must be a boolean'],
    [() => optStringArray({ a: 'x' }, 'a', fail), '/f.toml (key a): must be an array of strings'],
    [() => optStringArray({ a: ['x', 2] }, 'a', fail), '/f.toml (key a): must be an array of strings'],
    [() => optTable({ t: [] }, 't', fail), '/f.toml (key t): must be a table'],
    [() => optTableArray({ ta: [{}, 1] }, 'ta', fail), '/f.toml (key ta): must be an array of tables'],
  ]
  for (const [fn, message] of cases) t.throws(fn, { code: 'ERR_X', message })
})
