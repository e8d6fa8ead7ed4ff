import t from 'tap'
import { LadingError } from '../../lib/errors.js'
import { FixtureError } from '../../registry-fixtures/index.js'

t.test('FixtureError is a LadingError with a stable code', async (t) => {
  const e = new FixtureError('ERR_FIXTURE_X', 'msg')
  t.ok(e instanceof LadingError)
  t.equal(e.code, 'ERR_FIXTURE_X')
  t.equal(e.name, 'FixtureError')
})
