import t from 'tap'
import { mountSources } from '../../lib/remote/index.js'

t.test('keeps same-registry, other-repository sources only', async (t) => {
  t.same(mountSources(['r:5000/a', 'r:5000/b', 'other:5000/a', 'oci:/tmp/x', 'r:5000/a', 'r:5000/t'], 'r:5000/t'), ['r:5000/a', 'r:5000/b'])
  t.same(mountSources([], 'r/t'), [])
})
