import t from 'tap'
import {
  apiAtLeast, checkBuildpackApi, compareApiVersions, formatApiVersion, IncompatibleApiError, InvalidApiVersionError,
  isSupportedBuildpackApi, parseApiVersion, PLATFORM_API, SUPPORTED_BUILDPACK_APIS,
} from '../lib/api-version.js'

t.test('parseApiVersion accepts major[.minor]', async (t) => {
  const good: [string, number, number][] = [['0.10', 0, 10], ['0.7', 0, 7], ['1', 1, 0], ['1.2', 1, 2], [' 0.9 ', 0, 9]]
  for (const [s, major, minor] of good) t.same(parseApiVersion(s), { major, minor }, s)
  for (const bad of ['', 'x', '0.', '.1', '01.2', '0.01', '1.2.3', 'v0.1', '-1.0']) {
    t.throws(() => parseApiVersion(bad), InvalidApiVersionError, JSON.stringify(bad))
  }
  t.equal(formatApiVersion(parseApiVersion('1')), '1.0')
})

t.test('compare and atLeast order numerically, not lexically', async (t) => {
  t.ok(compareApiVersions('0.10', '0.9') > 0)
  t.ok(compareApiVersions('0.9', '0.10') < 0)
  t.equal(compareApiVersions('1', '1.0'), 0)
  t.ok(compareApiVersions('1.0', '0.99') > 0)
  t.ok(apiAtLeast('0.10', '0.9'))
  t.ok(apiAtLeast('0.9', '0.9'))
  t.notOk(apiAtLeast('0.8', '0.9'))
})

t.test('supported buildpack APIs are 0.7 to 0.11', async (t) => {
  t.same(SUPPORTED_BUILDPACK_APIS, ['0.7', '0.8', '0.9', '0.10', '0.11'])
  t.equal(PLATFORM_API, '0.13')
  for (const v of ['0.7', '0.10', '0.11']) t.ok(isSupportedBuildpackApi(v), v)
  for (const v of ['0.6', '0.12', '1', 'junk']) t.notOk(isSupportedBuildpackApi(v), v)
  t.equal(checkBuildpackApi('0.10'), '0.10')
  const e = t.throws(() => checkBuildpackApi('0.12', '/x/buildpack.toml')) as unknown as IncompatibleApiError
  t.ok(e instanceof IncompatibleApiError)
  t.equal(e.code, 'ERR_BUILDPACK_API')
  t.equal(e.kind, 'buildpack')
  t.equal(e.requested, '0.12')
  t.same(e.supported, SUPPORTED_BUILDPACK_APIS)
  t.match(e.message, /\/x\/buildpack.toml: buildpack API 0.12 is not supported/)
  t.equal(new IncompatibleApiError('platform', '0.3', ['0.13']).code, 'ERR_PLATFORM_API')
})
