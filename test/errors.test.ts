import t from 'tap'
import { LadingError, wrapError, redactUrl, redactSecrets } from '../lib/errors.js'

t.test('LadingError carries a stable code and its class name', async (t) => {
  class ThingError extends LadingError {}
  const e = new ThingError('ERR_THING', 'it broke', { cause: new Error('inner') })
  t.equal(e.code, 'ERR_THING')
  t.equal(e.name, 'ThingError')
  t.equal((e.cause as Error).message, 'inner')
})

t.test('wrapError adds context and keeps the code', async (t) => {
  const inner = new LadingError('ERR_X', 'inner failure')
  const w = wrapError('push blob', inner)
  t.equal(w.code, 'ERR_X')
  t.equal(w.message, 'push blob: inner failure')
  t.equal(w.cause, inner)
  t.equal(wrapError('read', new Error('plain')).code, 'ERR_UNEXPECTED')
})

t.test('redactUrl hides userinfo and secret query values', async (t) => {
  t.equal(redactUrl('https://user:pass@example.com/v2/'), 'https://***:***@example.com/v2/')
  const r = redactUrl('http://127.0.0.1:5000/v2/a/blobs/uploads/x?_state=SECRET&digest=sha256:abc')
  t.notMatch(r, /SECRET/)
  t.match(r, /digest=sha256:abc/)
  t.notMatch(redactUrl('https://s3.example/b?X-Amz-Signature=deadbeef&X-Amz-Credential=AKIA'), /deadbeef|AKIA/)
  t.equal(redactSecrets('token abcd1234 here', ['abcd1234', undefined, 'ab']), 'token *** here')
})
