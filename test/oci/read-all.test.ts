import t from 'tap'
import { Readable } from 'node:stream'
import { MAX_JSON_BLOB, readAll } from '../../lib/oci/index.js'

t.test('reads a stream fully, refusing past the limit (64 MiB unless told)', async (t) => {
  t.equal((await readAll(Readable.from([Buffer.from('ab'), new Uint8Array([99, 100])]))).toString(), 'abcd')
  await t.rejects(readAll(Readable.from([Buffer.alloc(10)]), 5), { code: 'ERR_SIZE_LIMIT' })
  t.equal(MAX_JSON_BLOB, 64 << 20)
})
