import t from 'tap'
import { PlatformFileError } from '../../lib/platform/index.js'
import {
  type FieldMismatch, asTable, at, compact, isTable, optBool, optInt, optString, optStringArray, optTable, parseToml,
  parseTomlText, plainCopy, readField, reqString, stringifyToml, tableArray,
} from '../../lib/toml/fields.js'

const ctx = { file: 'f.toml', path: 'a' }

t.test('key paths', async (t) => {
  t.same(at({ file: 'f', path: '' }, 'x'), { file: 'f', path: 'x' })
  t.same(at(ctx, 'b'), { file: 'f.toml', path: 'a.b' })
  t.same(at(ctx, 2), { file: 'f.toml', path: 'a[2]' })
})

t.test('parse errors name the file and position', async (t) => {
  const err = (() => { try { parseTomlText('x = 1\ny = \n', 'f.toml') } catch (e) { return e } })() as PlatformFileError
  t.type(err, PlatformFileError)
  t.match(err.message, /^f\.toml: invalid TOML at line 2, column \d+: /)
  t.equal(err.key, '')
})

t.test('field readers: good values', async (t) => {
  const v = { s: 'x', b: true, i: 3, arr: ['a'], tab: { k: 1 }, tabs: [{ k: 1 }] }
  t.equal(reqString(v, 's', ctx), 'x')
  t.equal(optString(v, 'nope', ctx), undefined)
  t.equal(optBool(v, 'b', ctx), true)
  t.equal(optInt(v, 'i', ctx), 3)
  t.same(optStringArray(v, 'arr', ctx), ['a'])
  t.same(optTable(v, 'tab', ctx), { k: 1 })
  t.same(tableArray(v, 'tabs', ctx), [{ table: { k: 1 }, ctx: { file: 'f.toml', path: 'a.tabs[0]' } }])
  t.same(tableArray(v, 'none', ctx), [])
  t.equal(reqString({ s: '' }, 's', ctx, false), '')
})

const BAD: Array<[string, () => unknown, RegExp]> = [
  ['req missing', () => reqString({}, 's', ctx), /f\.toml: key "a\.s": is required/],
  ['req empty', () => reqString({ s: '' }, 's', ctx), /"a\.s": must not be empty/],
  ['string type', () => optString({ s: [] }, 's', ctx), /"a\.s": must be a string, got an array/],
  ['bool type', () => optBool({ b: 'true' }, 'b', ctx), /"a\.b": must be a boolean, got a string/],
  ['int type', () => optInt({ i: 1.5 }, 'i', ctx), /"a\.i": must be an integer/],
  ['array item', () => optStringArray({ x: ['a', 2] }, 'x', ctx), /"a\.x\[1\]": must be a string/],
  ['table type', () => optTable({ x: new Date(0) }, 'x', ctx), /"a\.x": must be a table, got a date/],
  ['asTable null', () => asTable(null, ctx), /"a": must be a table, got null/],
  ['tables type', () => tableArray({ x: {} }, 'x', ctx), /"a\.x": must be an array of tables, got a table/],
]
for (const [name, fn, re] of BAD) {
  t.test(`field readers reject: ${name}`, async (t) => {
    t.throws(fn, { code: 'ERR_PLATFORM_FILE_INVALID', message: re })
  })
}

t.test('stringify: no integer separators, strings untouched', async (t) => {
  const text = stringifyToml({ n: 1234567, s: '1_000', neg: -12345, t: { m: 1000 } })
  t.equal(text, 'n = 1234567\ns = "1_000"\nneg = -12345\n\n[t]\nm = 1000\n')
  const multi = stringifyToml({ a: 'first\nx = 1_000\nlast', b: 2000 })
  t.match(multi, /\nx = 1_000\n/, 'multi-line string content untouched')
  t.match(multi, /\nb = 2000\n/)
})

t.test('plainCopy and compact', async (t) => {
  const doc = parseTomlText('d = 1979-05-27T07:32:00Z\n[x]\ny = [1, 2]\n', 'f')
  t.same(plainCopy(doc), { d: '1979-05-27T07:32:00.000Z', x: { y: [1, 2] } })
  t.same(compact({ a: 1, b: undefined, c: null }), { a: 1, c: null })
})

// Independent oracle: Python's tomllib (a strict TOML 1.0 reader, like the Go lifecycle's) must
// read every file our writers produce, and see the same data our own reader sees.
t.test('writer output parses under an independent TOML 1.0 reader', async (t) => {
  const { spawnSync } = await import('node:child_process')
  const p = await import('../../lib/platform/index.js')
  const md = p.emptyLayersMetadata()
  md.app = [{ sha: 'sha256:a' }]
  md.buildpacks = [{ key: 'a/b', version: '1', layers: { 'my.layer': { sha: 's', data: { n: 1234, list: ['x'], t: { deep: true } }, build: true, launch: true, cache: false } } }]
  const docs: Record<string, string> = {
    order: p.stringifyOrder([{ group: [{ id: 'a', version: '1', optional: true }, { id: 'b' }] }]),
    group: p.stringifyGroup([{ id: 'a', version: '1', api: '0.10', homepage: 'h' }], [{ id: 'e', version: '1', api: '0.10', extension: true }]),
    plan: p.stringifyPlan([{ providers: [{ id: 'a', version: '1' }], requires: [{ name: 'n', metadata: { v: '1', k: [1, 2] } }] }]),
    bpPlan: p.stringifyBuildpackPlan([{ name: 'n', metadata: { v: '1' } }, { name: 'n' }]),
    run: p.stringifyRun({ images: [{ image: 'a/run:1', mirrors: [] }, { image: 'b/run:1', mirrors: ['c/run:1', 'registry.example.test/long/name/run:with-a-long-tag'] }] }),
    report: p.stringifyReport({ image: { tags: ['a:1', 'a:2'], digest: 'sha256:x', manifestSize: 123456 } }),
    metadata: p.stringifyMetadataToml({
      buildpackDefaultProcessType: 'web', buildpacks: [{ id: 'a', version: '1', api: '0.10' }],
      processes: [{ type: 'web', command: ['node', 'a "quoted" arg'], args: [], direct: true, buildpackId: 'a', workingDir: '/w' }],
      labels: [{ key: 'k', value: 'multi\nline' }], slices: [{ paths: ['a/**', 'b'] }],
    }),
    analyzed: p.stringifyAnalyzed({
      previousImage: { reference: 'r@sha256:1' },
      runImage: { reference: 'run@sha256:2', image: 'run:1', target: { os: 'linux', arch: 'amd64', distro: { name: 'ubuntu', version: '22.04' } } },
      metadata: md,
    }),
  }
  const py = spawnSync('python3', ['-c', 'import sys, json, tomllib\nd = json.load(sys.stdin)\nprint(json.dumps({k: tomllib.loads(v) for k, v in d.items()}))'],
    { input: JSON.stringify(docs), encoding: 'utf8' })
  t.equal(py.status, 0, py.stderr)
  const theirs = JSON.parse(py.stdout) as Record<string, unknown>
  for (const [name, text] of Object.entries(docs)) {
    t.same(theirs[name], plainCopy(parseTomlText(text, name)), `${name}.toml reads the same`)
  }
  t.equal((theirs['report'] as any).image['manifest-size'], 123456)
})

// The buildpack files use these two with their own error class; the caller words every failure.
t.test('parseToml and readField throw what the caller builds', async (t) => {
  class MyError extends Error {}
  const err = t.throws(() => parseToml('a = \n', (detail, cause) => new MyError(detail, { cause }))) as MyError
  t.type(err, MyError)
  t.match(err.message, /^invalid TOML at line 1, column \d+: [^\n]*$/)
  t.ok(err.cause)
  const seen: FieldMismatch[] = []
  const keep = (m: FieldMismatch): Error => { seen.push(m); return new MyError(m.expected) }
  t.same(readField({ a: ['x'] }, 'a', 'string[]', keep), ['x'])
  t.equal(readField({}, 'a', 'integer', keep), undefined)
  t.type(t.throws(() => readField({ a: 'x' }, 'a', 'string[]', keep)), MyError)
  t.throws(() => readField({ a: ['x', 2] }, 'a', 'string[]', keep))
  t.throws(() => readField({ a: [{}, 1] }, 'a', 'table[]', keep))
  t.throws(() => readField({ a: 1.5 }, 'a', 'integer', keep))
  t.same(seen, [
    { expected: 'an array of strings', got: 'x' },
    { expected: 'an array of strings', got: 2, element: { index: 1, expected: 'a string' } },
    { expected: 'an array of tables', got: 1, element: { index: 1, expected: 'a table' } },
    { expected: 'an integer', got: 1.5 },
  ])
  const arr = ['y']
  t.not(readField({ a: arr }, 'a', 'string[]', keep), arr, 'arrays are copied')
  t.ok(isTable({}))
  t.notOk(isTable([]))
  t.notOk(isTable(new Date(0)))
})
