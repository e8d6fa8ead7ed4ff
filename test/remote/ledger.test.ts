import t from 'tap'
import { TransferLedger } from '../../lib/remote/index.js'
import { sha256 } from '../../lib/digest/index.js'

t.test('counts each final event once', async (t) => {
  const l = new TransferLedger()
  const a = sha256('a'), b = sha256('b'), c = sha256('c')
  l.record({ digest: a, kind: 'upload', bytes: 5, total: 10 })
  l.record({ digest: a, kind: 'upload', bytes: 10, total: 10, done: true })
  l.record({ digest: a, kind: 'upload', bytes: 10, total: 10, done: true })
  l.record({ digest: b, kind: 'mount', bytes: 0, total: 7 })
  l.record({ digest: c, kind: 'exists', bytes: 3, total: 3 })
  t.same(l.totals, { blobsUploaded: 1, bytesUploaded: 10, blobsMounted: 1, bytesMounted: 7, blobsExisting: 1, bytesExisting: 3 })
})
