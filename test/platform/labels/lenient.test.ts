import t from 'tap'
import { LabelError } from '../../../lib/platform/index.js'
import { LenientReader, parseLabelJson, sortedDeep } from '../../../lib/platform/labels/lenient.js'

t.test('parseLabelJson', async (t) => {
  t.same(parseLabelJson('l', '{"a":1}'), { a: 1 })
  for (const bad of ['', '{', '[]', '1', 'null', '"s"']) {
    t.throws(() => parseLabelJson('l', bad), LabelError, bad)
  }
})

t.test('reader zero values and warnings', async (t) => {
  const rd = new LenientReader('lbl')
  t.equal(rd.str(undefined, 'a'), '')
  t.equal(rd.str(null, 'a'), '')
  t.equal(rd.bool(undefined, 'b'), false)
  t.same(rd.arr(null, 'c'), [])
  t.equal(rd.obj(undefined, 'd'), undefined)
  t.same(rd.warnings, [], 'absent and null are silent')
  t.equal(rd.str(1, 'a'), '')
  t.equal(rd.bool('true', 'b'), false)
  t.same(rd.arr({}, 'c'), [])
  t.equal(rd.obj([], 'd'), undefined)
  t.same(rd.strings(['x', 1], 'e'), ['x'])
  t.same(rd.warnings, [
    'lbl: a should be a string, got number; ignored',
    'lbl: b should be a boolean, got string; ignored',
    'lbl: c should be an array, got object; ignored',
    'lbl: d should be an object, got array; ignored',
    'lbl: e[1] should be a string, got number; ignored',
  ])
})

t.test('sortedDeep', async (t) => {
  t.equal(JSON.stringify(sortedDeep({ b: [{ d: 1, c: 2 }], a: null })), '{"a":null,"b":[{"c":2,"d":1}]}')
})
