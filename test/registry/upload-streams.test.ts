import t from 'tap'
import { Readable } from 'node:stream'
import type { TransferEvent } from '../../lib/oci/index.js'
import { chunksOf, progressCounter } from '../../lib/registry/upload-streams.js'
import { sha256 } from '../../lib/digest/index.js'

t.test('chunksOf re-slices any input into exact chunks, the last one shorter', async (t) => {
  const input = Readable.from([Buffer.from('abcde'), Buffer.from('fg'), Buffer.from('hijklmnopq')])
  const out: string[] = []
  for await (const c of chunksOf(input, 4)) out.push(c.toString())
  t.same(out, ['abcd', 'efgh', 'ijkl', 'mnop', 'q'])
  const empty: Buffer[] = []
  for await (const c of chunksOf(Readable.from([]), 4)) empty.push(c)
  t.same(empty, [], 'nothing in, nothing out')
})

t.test('progressCounter reports the running byte count and passes bytes through', async (t) => {
  const events: TransferEvent[] = []
  const d = sha256('x')
  const p = progressCounter(d, 10, { onProgress: (e) => events.push(e) })
  const got: Buffer[] = []
  p.on('data', (c: Buffer) => got.push(c))
  const done = new Promise((ok) => p.on('end', ok))
  p.write(Buffer.from('abc'))
  p.end(Buffer.from('defghij'))
  await done
  t.equal(Buffer.concat(got).toString(), 'abcdefghij')
  t.same(events.map((e) => e.bytes), [3, 10])
  t.same(events.map((e) => e.total), [10, 10])
})
