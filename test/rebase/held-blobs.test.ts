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

t.test('what registries check, and one probe per registry', async (t) => {
  const h = new HeldBlobs()
  t.notOk(h.optimistic, 'off unless a fleet turns it on')
  t.notOk(h.checksManifestBlobs('r'))
  h.sawManifestBlobCheck('r')
  t.ok(h.checksManifestBlobs('r'))
  t.notOk(h.checksManifestBlobs('other'))
  t.ok(h.claimProbe('other'), 'the first image finds out')
  t.notOk(h.claimProbe('other'), 'only one does')
})
