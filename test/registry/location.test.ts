import t from 'tap'
import { appendQuery, nextLink, originOf, resolveLocation } from '../../lib/registry/location.js'

t.test('resolveLocation: relative, absolute, keeps query bytes', async (t) => {
  const base = 'http://127.0.0.1:5000/v2/a/blobs/uploads/'
  t.equal(resolveLocation(base, '/v2/a/blobs/uploads/u1?_state=ab%2Bc%3D%3D'), 'http://127.0.0.1:5000/v2/a/blobs/uploads/u1?_state=ab%2Bc%3D%3D')
  t.equal(resolveLocation(base, 'u2?x=1'), 'http://127.0.0.1:5000/v2/a/blobs/uploads/u2?x=1')
  t.equal(resolveLocation(base, 'https://other.example/up?sig=1'), 'https://other.example/up?sig=1')
})

t.test('appendQuery adds ? or & textually and encodes the value', async (t) => {
  t.equal(appendQuery('http://h/u?_state=a%2Bb', 'digest', 'sha256:00'), 'http://h/u?_state=a%2Bb&digest=sha256%3A00')
  t.equal(appendQuery('http://h/u', 'digest', 'sha256:00'), 'http://h/u?digest=sha256%3A00')
  t.equal(appendQuery('http://h/u?', 'a', 'b'), 'http://h/u?a=b')
  t.equal(appendQuery('http://h/u?x=1&', 'a', 'b c'), 'http://h/u?x=1&a=b%20c')
})

t.test('nextLink: relative, absolute, opaque, several links, none', async (t) => {
  const base = 'https://r.example/v2/a/tags/list?n=2'
  t.equal(nextLink(base, '</v2/a/tags/list?last=b&n=2>; rel="next"'), 'https://r.example/v2/a/tags/list?last=b&n=2')
  t.equal(nextLink(base, '<https://cdn.example/page?next_page=tok%3D&n=50>; rel=next'), 'https://cdn.example/page?next_page=tok%3D&n=50')
  t.equal(nextLink(base, '<x?a=1>; rel="prev", <y?b=2>; rel="next"'), 'https://r.example/v2/a/tags/y?b=2')
  t.equal(nextLink(base, '<x?a=1>; rel="prev"'), undefined)
  t.equal(nextLink(base, undefined), undefined)
  t.equal(originOf('http://127.0.0.1:80/x'), 'http://127.0.0.1')
})
