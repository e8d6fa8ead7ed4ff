import t from 'tap'
import { ExitCodes, exitCodeFor } from '../lib/exit-codes.js'

t.test('maps error codes to the exit-code table', async (t) => {
  t.equal(exitCodeFor(undefined), ExitCodes.FAILED)
  t.equal(exitCodeFor('ERR_USAGE'), 3)
  t.equal(exitCodeFor('ERR_REFERENCE_INVALID'), ExitCodes.INVALID_INPUT)
  t.equal(exitCodeFor('ERR_DIGEST_MISMATCH'), ExitCodes.INVALID_INPUT)
  t.equal(exitCodeFor('ERR_LAYER_UNSAFE_PATH'), ExitCodes.INVALID_INPUT)
  t.equal(exitCodeFor('ERR_REGISTRY_UNAUTHORIZED'), ExitCodes.AUTH)
  t.equal(exitCodeFor('ERR_REGISTRY_NOT_FOUND'), ExitCodes.NOT_FOUND)
  t.equal(exitCodeFor('ERR_REGISTRY_UNREACHABLE'), ExitCodes.UNAVAILABLE)
  t.equal(exitCodeFor('ERR_SOMETHING_NEW'), ExitCodes.FAILED)
  t.equal(ExitCodes.DETECT_FAILED, 20)
  t.equal(ExitCodes.PLATFORM_API, 11)
})
