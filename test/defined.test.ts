// Tests for lib/defined.ts: undefined keys dropped, everything else kept in order.
import t from 'tap'
import { definedOnly } from '../lib/defined.js'

t.test('drops undefined keys only', async (t) => {
  const o = definedOnly({ a: 1, b: undefined, c: '', d: false, e: 0, f: null })
  t.strictSame(o, { a: 1, c: '', d: false, e: 0, f: null })
  t.notOk('b' in o)
})

t.test('keeps the order keys were written in', async (t) => {
  t.equal(JSON.stringify(definedOnly({ z: 1, y: undefined, x: 2 })), '{"z":1,"x":2}')
})

t.test('is shallow and copies', async (t) => {
  const inner = { q: undefined }
  const src = { inner, s: undefined as string | undefined }
  const o = definedOnly(src)
  t.equal(o.inner, inner)
  t.ok('s' in src)
})
