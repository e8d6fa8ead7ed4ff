import t from 'tap'
import { FleetFileError, FleetImageError } from '../../lib/fleet/index.js'
import { exitCodeFor } from '../../lib/exit-codes.js'
import { locate } from '../../lib/fleet/errors.js'

t.test('messages are file:line: entry: detail; a bad file exits 4', async (t) => {
  t.equal(locate({ file: 'f.toml', line: 3, entry: 'images[0] (r/a)' }, 'boom'), 'f.toml:3: images[0] (r/a): boom')
  t.equal(locate({ file: 'f.toml', line: 0, entry: '' }, 'boom'), 'f.toml: boom')
  const e = new FleetFileError({ file: 'f.toml', line: 1, entry: 'defaults' }, 'x')
  t.equal(e.code, 'ERR_FLEET_FILE')
  t.equal(exitCodeFor(e.code), 4)
  const i = new FleetImageError('ERR_FLEET_SOURCE', { file: 'f', line: 2, entry: 'images[1]' }, 'gone')
  t.equal(i.message, 'f:2: images[1]: gone')
  t.equal(i.at.line, 2)
})
