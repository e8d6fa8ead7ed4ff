import t from 'tap'
import { DistributionError } from '../../lib/distribution/index.js'
import { exitCodeFor, ExitCodes } from '../../lib/exit-codes.js'

t.test('a distribution error names the thing, has a stable code and maps to invalid input', async (t) => {
  const e = new DistributionError('NOT_A_BUILDER', 'reg/run:v1', 'not a builder')
  t.equal(e.code, 'ERR_DISTRIBUTION_NOT_A_BUILDER')
  t.equal(e.message, 'reg/run:v1: not a builder')
  t.equal(exitCodeFor(e.code), ExitCodes.INVALID_INPUT)
})
