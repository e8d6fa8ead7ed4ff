import t from 'tap'
import { Readable } from 'node:stream'
import { readAll } from '../../lib/remote/index.js'

t.test('reads a stream fully, refusing past the limit', async (t) => {
  t.equal((await readAll(Readable.from([Buffer.from('ab'), Buffer.from('cd')]))).toString(), 'abcd')
  await t.rejects(readAll(Readable.from([Buffer.alloc(10)]), 5), { code: 'ERR_SIZE_LIMIT' })
})
