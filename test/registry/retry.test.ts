import t from 'tap'
import { backoffDelay, isConnectError, isTlsError, isTransientNetworkError, parseRetryAfter, resolveRetry, sleep, unreachable } from '../../lib/registry/retry.js'

const err = (code: string, message = code): Error => Object.assign(new Error(message), { code })

t.test('parseRetryAfter: seconds, HTTP-date, past date, garbage', async (t) => {
  const now = Date.parse('2026-01-01T00:00:00Z')
  t.equal(parseRetryAfter('2', now), 2000)
  t.equal(parseRetryAfter(' 0 ', now), 0)
  t.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now), 5000)
  t.equal(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now), 0)
  t.equal(parseRetryAfter(['3', '9'], now), 3000)
  t.equal(parseRetryAfter('soon', now), undefined)
  t.equal(parseRetryAfter('-1', now), undefined)
  t.equal(parseRetryAfter(undefined, now), undefined)
})

t.test('backoff doubles, caps and jitters within ±20 %', async (t) => {
  const p = resolveRetry({ baseDelayMs: 100, maxDelayMs: 350 })
  t.equal(backoffDelay(1, p, () => 0.5), 100)
  t.equal(backoffDelay(2, p, () => 0.5), 200)
  t.equal(backoffDelay(3, p, () => 0.5), 350)
  t.equal(backoffDelay(1, p, () => 0), 80)
  t.equal(backoffDelay(1, p, () => 1), 120)
  const { random, ...defaults } = resolveRetry()
  t.same(defaults, { maxAttempts: 4, baseDelayMs: 1000, maxDelayMs: 30000, maxRetryAfterMs: 60000 })
  t.equal(random, Math.random)
  // The jitter source can be injected through the policy, so tests never depend on chance.
  const pinned = resolveRetry({ baseDelayMs: 100, random: () => 1 })
  t.equal(backoffDelay(1, pinned), 120)
  t.equal(backoffDelay(2, pinned), 240)
  t.equal(resolveRetry({ maxAttempts: 0 }).maxAttempts, 1)
})

t.test('classification of network errors', async (t) => {
  t.ok(isTransientNetworkError(err('ECONNRESET'), false))
  t.ok(isTransientNetworkError(err('UND_ERR_SOCKET'), false))
  t.ok(isTransientNetworkError(Object.assign(new Error('x'), { cause: err('EPIPE') }), false))
  t.notOk(isTransientNetworkError(err('ECONNREFUSED'), false), 'a down registry fails fast')
  t.ok(isTransientNetworkError(err('ECONNREFUSED'), true), 'but a registry that answered before may be restarting')
  t.notOk(isTransientNetworkError(new Error('plain'), true))
  t.ok(isConnectError(err('ECONNREFUSED')))
  t.ok(isConnectError(err('ENOTFOUND')))
  t.ok(isTlsError(err('DEPTH_ZERO_SELF_SIGNED_CERT')))
  t.ok(isConnectError(err('UNABLE_TO_VERIFY_LEAF_SIGNATURE')))
  t.notOk(isConnectError(err('ECONNRESET')))
})

t.test('unreachable() messages say what to do', async (t) => {
  const refused = unreachable(err('ECONNREFUSED'), 'GET', 'http://127.0.0.1:1/v2/', '127.0.0.1:1')
  t.equal(refused.code, 'ERR_REGISTRY_UNREACHABLE')
  t.match(refused.message, /cannot reach registry 127\.0\.0\.1:1: connection refused/)
  t.match(unreachable(err('SELF_SIGNED_CERT_IN_CHAIN'), 'GET', 'https://h/v2/', 'h').message, /--ca-cert FILE/)
  t.match(unreachable(err('ENOTFOUND'), 'GET', 'https://h/v2/', 'h').message, /host name not found/)
})

t.test('sleep honours abort', async (t) => {
  const ac = new AbortController()
  const p = sleep(10_000, ac.signal)
  ac.abort(new Error('stop'))
  await t.rejects(p)
  await sleep(0)
})
