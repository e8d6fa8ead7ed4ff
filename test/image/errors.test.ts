// The image errors: stable codes and messages that name what is missing or inconsistent.
import t from 'tap'
import { LayerNotFoundError, NotBasedOnError, InvalidMutationError } from '../../lib/image/index.js'
import { ExitCodes, exitCodeFor } from '../../lib/exit-codes.js'
import type { Digest } from '../../lib/digest/index.js'

t.test('each error has its code and says what is wrong', async (t) => {
  const d = `sha256:${'a'.repeat(64)}` as Digest
  t.equal(new LayerNotFoundError(d).message, `image has no layer with digest ${d}`)
  t.equal(new LayerNotFoundError(d, 'diffID').message, `image has no layer with diffID ${d}`)
  const nb = new NotBasedOnError('top layer differs')
  t.equal(nb.code, 'ERR_IMAGE_NOT_BASED_ON')
  t.equal(nb.reason, 'top layer differs')
  t.equal(new InvalidMutationError('diff_ids changed').code, 'ERR_IMAGE_MUTATION_INVALID')
  for (const code of ['ERR_LAYER_NOT_FOUND', 'ERR_IMAGE_NOT_BASED_ON', 'ERR_IMAGE_MUTATION_INVALID']) {
    t.equal(exitCodeFor(code), ExitCodes.INVALID_INPUT, code)
  }
})
