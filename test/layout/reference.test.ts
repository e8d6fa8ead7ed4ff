import t from 'tap'
import { isLayoutReference, isValidRefName, parseLayoutReference } from '../../lib/layout/index.js'

t.test('parseLayoutReference', async (t) => {
  const good: [string, string, string][] = [
    ['oci:dir', 'dir', 'latest'],
    ['oci:dir:v1', 'dir', 'v1'],
    ['oci:/abs/dir', '/abs/dir', 'latest'],
    ['oci:/abs/dir:1.0', '/abs/dir', '1.0'],
    ['oci:./rel/dir:a-b_c', './rel/dir', 'a-b_c'],
    ['oci:../up:x/y', '../up', 'x/y'],
    ['oci:d:a:b', 'd', 'a:b'],
    [`oci:/abs/dir@sha256:${'a'.repeat(64)}`, '/abs/dir', `sha256:${'a'.repeat(64)}`],
  ]
  for (const [s, dir, tag] of good) t.same(parseLayoutReference(s), { dir, tag }, s)
  const bad: [string, RegExp][] = [
    ['dir:tag', /start with "oci:"/],
    ['oci:', /directory is empty/],
    ['oci::tag', /directory is empty/],
    ['oci:dir:', /ref name ""/],
    ['oci:dir:-x', /ref name "-x"/],
    ['oci:dir:a b', /ref name/],
    ['oci:dir@sha256:abc', /not a sha256 digest/],
    [`oci:@sha256:${'a'.repeat(64)}`, /directory is empty/],
  ]
  for (const [s, re] of bad) t.throws(() => parseLayoutReference(s), { code: 'ERR_REFERENCE_INVALID', message: re }, s)
  t.ok(isLayoutReference('oci:x'))
  t.notOk(isLayoutReference('docker.io/x'))
  t.ok(isValidRefName('v1.0+build--x@y'))
  t.notOk(isValidRefName('a..'))
})
