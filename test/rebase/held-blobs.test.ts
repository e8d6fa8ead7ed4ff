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

t.test('what registries check: seen, or asked once per registry', async (t) => {
  const h = new HeldBlobs()
  t.notOk(h.optimistic, 'off unless a fleet turns it on')
  t.equal(await h.checksManifestBlobs('r'), false, 'unknown and not asked: no')
  h.sawManifestBlobCheck('r')
  t.equal(await h.checksManifestBlobs('r'), true)
  let asked = 0
  const probe = async () => { asked++; return true }
  const answers = await Promise.all([h.checksManifestBlobs('o', probe), h.checksManifestBlobs('o', probe)])
  t.same(answers, [true, true])
  t.equal(asked, 1, 'one question for all the images of a run')
  t.equal(await h.checksManifestBlobs('bad', async () => { throw new Error('x') }), false, 'a failed question means no')
})
