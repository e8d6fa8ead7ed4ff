import t from 'tap'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { cacheRoot } from '../../lib/cli/distribution-io.js'

t.test('the cache root is ~/.cache/lading (images and .cnb files are covered by the builder and samples integration tests)', async (t) => {
  t.equal(cacheRoot(), join(homedir(), '.cache', 'lading'))
})
