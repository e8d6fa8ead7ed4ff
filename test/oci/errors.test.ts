// The oci errors: stable codes, messages that quote the input, and the exit code each maps to.
import t from 'tap'
import { InvalidReferenceError, UnsupportedMediaTypeError, InvalidManifestError, NoMatchingPlatformError } from '../../lib/oci/index.js'
import { ExitCodes, exitCodeFor } from '../../lib/exit-codes.js'

t.test('each error has its code, a message naming the input, and exit 4', async (t) => {
  const ref = new InvalidReferenceError('Bad Name', 'uppercase repository')
  t.equal(ref.code, 'ERR_REFERENCE_INVALID')
  t.match(ref.message, '"Bad Name"')
  t.equal(ref.input, 'Bad Name')
  const mt = new UnsupportedMediaTypeError('application/vnd.docker.distribution.manifest.v1+json', 'schema 1')
  t.equal(mt.code, 'ERR_MEDIA_TYPE_UNSUPPORTED')
  t.match(mt.message, 'schema 1')
  const man = new InvalidManifestError('layers[0].digest', 'missing')
  t.equal(man.message, 'invalid manifest: layers[0].digest: missing')
  t.equal(new InvalidManifestError('', 'not JSON').message, 'invalid manifest: not JSON')
  for (const e of [ref, mt, man]) t.equal(exitCodeFor(e.code), ExitCodes.INVALID_INPUT, e.code)
})

t.test('a platform miss lists what the index offers', async (t) => {
  t.match(new NoMatchingPlatformError('linux/s390x', ['linux/amd64', 'linux/arm64']).message, 'available: linux/amd64, linux/arm64')
  t.match(new NoMatchingPlatformError('linux/s390x', []).message, 'available: none')
})
