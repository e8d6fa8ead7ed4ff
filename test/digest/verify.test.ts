import t from 'tap'
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { verifyStream, verifyBytes, sha256, DigestMismatchError, SizeMismatchError } from '../../lib/digest/index.js'

const sink = () => new Writable({ write(_c, _e, cb) { cb() } })
const data = Buffer.from('some blob content')

t.test('passes matching content', async (t) => {
  await pipeline(Readable.from([data]), verifyStream({ digest: sha256(data), size: data.length }), sink())
  verifyBytes(data, { digest: sha256(data), size: data.length })
  t.pass()
})

t.test('fails on a digest mismatch at the end of the stream', async (t) => {
  const other = Buffer.from('some blob contenT')
  const err = await pipeline(Readable.from([other]), verifyStream({ digest: sha256(data), size: data.length }), sink()).catch((e) => e)
  t.type(err, DigestMismatchError)
  t.equal(err.code, 'ERR_DIGEST_MISMATCH')
  t.throws(() => verifyBytes(other, { digest: sha256(data) }), DigestMismatchError)
})

t.test('fails on size: too short at the end, too long at once', async (t) => {
  const short = await pipeline(Readable.from([data.subarray(1)]), verifyStream({ digest: sha256(data), size: data.length }), sink()).catch((e) => e)
  t.type(short, SizeMismatchError)
  let passed = 0
  const long = await pipeline(Readable.from([data, data, data]), verifyStream({ digest: sha256(data), size: data.length }),
    new Writable({ write(c, _e, cb) { passed += c.length; cb() } })).catch((e) => e)
  t.type(long, SizeMismatchError)
  t.ok(passed <= data.length, 'no byte past the declared size is passed on')
  t.throws(() => verifyBytes(data, { digest: sha256(data), size: 3 }), SizeMismatchError)
})

t.test('maxSize caps unknown sizes', async (t) => {
  const err = await pipeline(Readable.from([data]), verifyStream({ digest: sha256(data), maxSize: 4 }), sink()).catch((e) => e)
  t.equal(err.code, 'ERR_SIZE_LIMIT')
})
