import t from 'tap'
import { parseDigest, isDigest, isVerifiableDigest, sha256, digestHex, digestAlgorithm, EMPTY_SHA256, InvalidDigestError } from '../../lib/digest/index.js'

t.test('parses valid digests and refuses bad ones', async (t) => {
  const good = `sha256:${'a'.repeat(64)}`
  t.equal(parseDigest(good), good)
  t.ok(isDigest(`sha512:${'0'.repeat(128)}`))
  t.ok(isDigest('multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8'))
  for (const bad of ['', 'sha256', `sha256:${'A'.repeat(64)}`, `sha256:${'a'.repeat(63)}`, 'sha256:zz', ':abc', `SHA256:${'a'.repeat(64)}`]) {
    t.throws(() => parseDigest(bad), InvalidDigestError, bad)
    t.notOk(isDigest(bad))
  }
  const err = t.throws(() => parseDigest('nope')) as InvalidDigestError
  t.equal(err.code, 'ERR_DIGEST_INVALID')
  t.match(err.message, /"nope"/)
})

t.test('sha256 and parts', async (t) => {
  t.equal(EMPTY_SHA256, sha256(''), 'the written-out constant is the digest of nothing')
  t.equal(EMPTY_SHA256, 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
  t.equal(sha256('{}'), 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a')
  t.equal(digestHex(EMPTY_SHA256), EMPTY_SHA256.slice(7))
  t.equal(digestAlgorithm(EMPTY_SHA256), 'sha256')
})

t.test('only sha256 and sha512 digests are verifiable (md5:abc parses but cannot be checked)', async (t) => {
  t.ok(isDigest('md5:abc'))
  t.notOk(isVerifiableDigest('md5:abc'))
  t.ok(isVerifiableDigest(sha256('x')))
  t.ok(isVerifiableDigest(`sha512:${'0'.repeat(128)}`))
  t.notOk(isVerifiableDigest('sha256:abc'))
})
