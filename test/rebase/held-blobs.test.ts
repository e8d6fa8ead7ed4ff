import t from 'tap'
import { HeldBlobs } from '../../lib/rebase/held-blobs.js'

t.test('a blob is known held per repository, once recorded', async (t) => {
  const h = new HeldBlobs()
  t.notOk(h.has('r/a', 'sha256:1'))
  h.add('r/a', 'sha256:1')
  t.ok(h.has('r/a', 'sha256:1'))
  t.notOk(h.has('r/b', 'sha256:1'), 'another repository does not hold it')
  t.notOk(h.has('r/a', 'sha256:2'))
})
