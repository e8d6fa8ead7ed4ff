// The layout errors: which are "not found" (exit 6) and which are invalid input (exit 4).
import t from 'tap'
import { LayoutNotFoundError, LayoutInvalidError, LayoutEntryNotFoundError } from '../../lib/layout/index.js'
import { ExitCodes, exitCodeFor } from '../../lib/exit-codes.js'

t.test('a missing layout or entry is not found; a broken one is invalid input', async (t) => {
  const nf = new LayoutNotFoundError('/tmp/x', 'no oci-layout file')
  t.equal(nf.message, '/tmp/x is not an OCI image layout: no oci-layout file')
  t.equal(exitCodeFor(nf.code), ExitCodes.NOT_FOUND)
  const entry = new LayoutEntryNotFoundError('manifest', 'latest', '/tmp/x')
  t.equal(entry.message, 'manifest latest not found in OCI layout /tmp/x')
  t.equal(exitCodeFor(entry.code), ExitCodes.NOT_FOUND)
  const cause = new SyntaxError('bad json')
  const inv = new LayoutInvalidError('/tmp/x', 'index.json is not JSON', { cause })
  t.equal(inv.cause, cause)
  t.equal(exitCodeFor(inv.code), ExitCodes.INVALID_INPUT)
})
