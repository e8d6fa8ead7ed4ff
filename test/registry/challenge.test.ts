import t from 'tap'
import {
  formatScope, normalizeScopes, parseChallenges, parseScope, pickChallenge, pullScope, pushScope, scopesCover,
} from '../../lib/registry/challenge.js'

t.test('parses a Bearer challenge with quoted values, escapes and commas inside quotes', async (t) => {
  const [c] = parseChallenges('Bearer realm="https://auth.example/token",service="reg, inc",scope="repository:a/b:pull,push repository:c:pull",error="invalid_token",x="q\\"uote"')
  t.same(c, {
    scheme: 'bearer',
    params: { realm: 'https://auth.example/token', service: 'reg, inc', scope: 'repository:a/b:pull,push repository:c:pull', error: 'invalid_token', x: 'q"uote' },
  })
})

t.test('several challenges in one header and in several headers; picks the first Basic/Bearer', async (t) => {
  const cs = parseChallenges(['Negotiate abc', 'Basic realm="r", Bearer realm="https://x/t"'])
  t.same(cs.map((c) => c.scheme), ['negotiate', 'basic', 'bearer'])
  t.equal(pickChallenge(cs)?.scheme, 'basic')
  t.same(pickChallenge(parseChallenges('Negotiate')), undefined)
  t.same(parseChallenges(undefined), [])
  t.same(parseChallenges('BASIC realm=unquoted')[0], { scheme: 'basic', params: { realm: 'unquoted' } })
})

t.test('garbage never throws', async (t) => {
  for (const s of ['', '=', ',,,', 'Bearer realm="unterminated', '"x"', 'Bearer ===']) t.doesNotThrow(() => parseChallenges(s))
})

t.test('scopes: host:port names, resource class, action order', async (t) => {
  t.same(parseScope('repository:localhost:5000/a:push,pull'), { type: 'repository', name: 'localhost:5000/a', actions: ['push', 'pull'] })
  t.same(parseScope('repository(plugin):a:pull'), { type: 'repository', name: 'a', actions: ['pull'] })
  t.equal(parseScope('nonsense'), undefined)
  t.equal(formatScope({ type: 'repository', name: 'a', actions: ['push', 'pull', 'push'] }), 'repository:a:pull,push')
  t.equal(pushScope('x/y'), 'repository:x/y:pull,push')
  t.equal(pullScope('x/y'), 'repository:x/y:pull')
})

t.test('normalizeScopes splits on spaces, merges actions, keeps first-seen order', async (t) => {
  t.same(normalizeScopes(['repository:t:push,pull repository:s:pull', 'repository:t:pull', 'registry:catalog:*', 'weird']),
    ['repository:t:pull,push', 'repository:s:pull', 'registry:catalog:*', 'weird'])
  t.same(normalizeScopes(['repository:s:pull', 'repository:s:delete']), ['repository:s:delete,pull'])
})

t.test('scopesCover', async (t) => {
  t.ok(scopesCover(['repository:t:pull,push', 'repository:s:pull'], ['repository:t:pull']))
  t.ok(scopesCover(['repository:t:pull,push'], []))
  t.notOk(scopesCover(['repository:t:pull'], ['repository:t:pull,push']))
  t.notOk(scopesCover(['repository:t:pull,push'], ['repository:s:pull']))
  t.ok(scopesCover(['registry:catalog:*'], ['registry:catalog:search']))
})
