import t from 'tap'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { Writable } from 'node:stream'
import { Digester, sha256 } from '../../lib/digest/index.js'

t.test('hashes and counts what flows through, passing bytes on unchanged', async (t) => {
  const parts = ['hello ', 'world', '!'.repeat(100_000)]
  const d = new Digester()
  const seen: Buffer[] = []
  await pipeline(Readable.from(parts.map((p) => Buffer.from(p))), d, new Writable({
    write(chunk, _e, cb) { seen.push(chunk); cb() },
  }))
  const all = Buffer.concat(seen)
  t.equal(all.toString(), parts.join(''))
  const r = await d.result
  t.equal(r.size, all.length)
  t.equal(r.digest, sha256(all))
  t.equal(d.bytes, all.length)
})

t.test('result rejects when the stream errors', async (t) => {
  const d = new Digester()
  d.destroy(new Error('boom'))
  await t.rejects(d.result, /boom/)
})

t.test('result rejects when the stream is destroyed before its end, without an error', async (t) => {
  const d = new Digester()
  d.write(Buffer.from('part'))
  d.destroy()
  await t.rejects(d.result, /closed before its end/)
})
