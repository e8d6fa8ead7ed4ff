import t from 'tap'
import {
  DeniedError, errorFromResponse, NotFoundError, parseErrorBody, ProtocolError, RegistryError, ServerError, TooManyRequestsError,
  UnauthorizedError, UnreachableError,
} from '../../lib/registry/errors.js'
import { LadingError } from '../../lib/errors.js'

const ctx = { method: 'GET', url: 'http://127.0.0.1:5000/v2/a/manifests/x?_state=SECRETSTATE', registry: '127.0.0.1:5000', subject: 'a:x' }

t.test('parseErrorBody is lenient', async (t) => {
  t.same(parseErrorBody('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"x"}}]}'),
    [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: { Tag: 'x' } }])
  t.same(parseErrorBody('404 page not found\n'), [])
  t.same(parseErrorBody('<html>nope</html>'), [])
  t.same(parseErrorBody('{"errors":"x"}'), [])
  t.same(parseErrorBody('{"errors":[null,{"message":"m"}]}'), [{ code: 'UNKNOWN', message: 'm' }])
  t.same(parseErrorBody('{broken'), [])
})

t.test('status → class, code and advice; URL redacted', async (t) => {
  const e401 = errorFromResponse({ ...ctx, status: 401, body: '', challenge: 'Basic realm="r"' })
  t.ok(e401 instanceof UnauthorizedError && e401 instanceof RegistryError && e401 instanceof LadingError)
  t.equal(e401.code, 'ERR_REGISTRY_UNAUTHORIZED')
  t.match(e401.message, /authentication failed for 127\.0\.0\.1:5000.*check the username\/password in ~\/\.docker\/config\.json or CNB_REGISTRY_AUTH/)
  t.equal((e401 as UnauthorizedError).challenge, 'Basic realm="r"')
  t.notMatch(e401.message, /SECRETSTATE/)
  t.notMatch(e401.url, /SECRETSTATE/)
  t.match(errorFromResponse({ ...ctx, status: 401, body: '', anonymous: true }).message, /authentication required.*log in/)

  const e403 = errorFromResponse({ ...ctx, status: 403, body: '{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}' })
  t.ok(e403 instanceof DeniedError)
  t.equal(e403.code, 'ERR_REGISTRY_DENIED')
  t.match(e403.message, /DENIED: requested access/)

  const e404 = errorFromResponse({ ...ctx, status: 404, body: '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}' }) as NotFoundError
  t.ok(e404 instanceof NotFoundError)
  t.equal(e404.what, 'manifest')
  t.match(e404.message, /^manifest not found: a:x/)
  t.equal((errorFromResponse({ ...ctx, status: 404, body: '{"errors":[{"code":"NAME_UNKNOWN","message":"x"}]}' }) as NotFoundError).what, 'repository')
  t.equal((errorFromResponse({ ...ctx, status: 404, body: '404 page not found', what: 'blob' }) as NotFoundError).what, 'blob')
  t.match(errorFromResponse({ ...ctx, status: 404, body: '404 page not found' }).message, /404 page not found/)

  const e429 = errorFromResponse({ ...ctx, status: 429, body: 'slow down', retryAfterMs: 7000 }) as TooManyRequestsError
  t.ok(e429 instanceof TooManyRequestsError)
  t.equal(e429.code, 'ERR_REGISTRY_RATE_LIMITED')
  t.equal(e429.retryAfterMs, 7000)
  t.match(e429.message, /rate limited by 127\.0\.0\.1:5000.*retry after 7s/)
  t.ok(e429.retryable)

  const e503 = errorFromResponse({ ...ctx, status: 503, body: '<html>bad gateway</html>' })
  t.ok(e503 instanceof ServerError)
  t.equal(e503.code, 'ERR_REGISTRY_SERVER')
  t.ok(e503.retryable)
  t.notMatch(e503.message, /html/)

  const e400 = errorFromResponse({ ...ctx, method: 'PUT', status: 400, body: '{"errors":[{"code":"MANIFEST_BLOB_UNKNOWN","message":"blob unknown to registry","detail":"sha256:ab"}]}' })
  t.equal(e400.code, 'ERR_REGISTRY_REQUEST')
  t.notOk(e400.retryable)
  t.match(e400.message, /MANIFEST_BLOB_UNKNOWN: blob unknown to registry sha256:ab/)
  t.same(e400.errors[0]?.detail, 'sha256:ab')
})

t.test('other classes', async (t) => {
  const u = new UnreachableError('cannot reach', { method: 'GET', url: 'https://u:p@h/v2/?token=abc' })
  t.equal(u.status, 0)
  t.equal(u.url, 'https://***:***@h/v2/?token=***')
  const p = new ProtocolError('too big', { status: 200, method: 'GET', url: 'http://h/' }, 'ERR_MANIFEST_TOO_LARGE')
  t.equal(p.code, 'ERR_MANIFEST_TOO_LARGE')
  t.equal(p.name, 'ProtocolError')
  t.equal(new ProtocolError('x', { status: 0, method: 'GET', url: '' }).code, 'ERR_REGISTRY_PROTOCOL')
})
