import t from 'tap'
import { sha256 } from '../../lib/digest/index.js'
import {
  MediaTypes, NoMatchingPlatformError, formatPlatform, hostPlatform, normalizePlatform, parsePlatform, platformMatches,
  requireManifest, selectManifest, type Descriptor, type ImageIndex, type Platform,
} from '../../lib/oci/index.js'

t.test('normalizePlatform', async (t) => {
  const cases: [string, string][] = [
    ['linux/x86_64', 'linux/amd64'],
    ['linux/x86-64', 'linux/amd64'],
    ['linux/amd64/v1', 'linux/amd64'],
    ['linux/amd64/v3', 'linux/amd64/v3'],
    ['linux/aarch64', 'linux/arm64'],
    ['linux/arm64/v8', 'linux/arm64'],
    ['linux/arm64/8', 'linux/arm64'],
    ['linux/arm64/v9', 'linux/arm64/v9'],
    ['linux/armhf', 'linux/arm/v7'],
    ['linux/armel', 'linux/arm/v6'],
    ['linux/arm', 'linux/arm/v7'],
    ['linux/arm/6', 'linux/arm/v6'],
    ['linux/i386', 'linux/386'],
    ['Linux/AMD64', 'linux/amd64'],
    ['macos/arm64', 'darwin/arm64'],
    ['windows/amd64', 'windows/amd64'],
  ]
  for (const [input, want] of cases) t.equal(formatPlatform(parsePlatform(input)), want, input)
  t.same(normalizePlatform({ os: 'windows', architecture: 'amd64', 'os.version': '10.0.1' }), { os: 'windows', architecture: 'amd64', 'os.version': '10.0.1' })
  for (const bad of ['linux', 'linux/amd64/v8/x', 'linux//v8', '', 'linux/am d64']) t.throws(() => parsePlatform(bad), { code: 'ERR_MANIFEST_INVALID' }, bad)
})

t.test('platformMatches', async (t) => {
  const p = parsePlatform
  const cases: [Platform, Platform, boolean, boolean?][] = [
    [p('linux/arm64'), { os: 'linux', architecture: 'arm64', variant: 'v8' }, true],
    [{ os: 'linux', architecture: 'arm64', variant: 'v8' }, { os: 'linux', architecture: 'arm64' }, true],
    [{ os: 'linux', architecture: 'arm' }, { os: 'linux', architecture: 'arm', variant: 'v7' }, true],
    [{ os: 'linux', architecture: 'arm', variant: 'v6' }, { os: 'linux', architecture: 'arm', variant: 'v7' }, false],
    [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'x86_64' }, true],
    [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'amd64', variant: 'v3' }, false],
    [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'amd64', variant: 'v3' }, true, true],
    [{ os: 'linux', architecture: 'amd64', variant: 'v2' }, { os: 'linux', architecture: 'amd64' }, false, true],
    [{ os: 'linux', architecture: 'amd64' }, { os: 'windows', architecture: 'amd64' }, false],
    [{ os: 'windows', architecture: 'amd64', 'os.version': '10.0.2' }, { os: 'windows', architecture: 'amd64', 'os.version': '10.0.1' }, false],
    [{ os: 'windows', architecture: 'amd64' }, { os: 'windows', architecture: 'amd64', 'os.version': '10.0.1' }, true],
    [{ os: 'linux', architecture: 'amd64', 'os.features': ['a'] }, { os: 'linux', architecture: 'amd64', 'os.features': ['b', 'a'] }, true],
    [{ os: 'linux', architecture: 'amd64', 'os.features': ['c'] }, { os: 'linux', architecture: 'amd64' }, false],
  ]
  for (const [want, have, ok, any] of cases) t.equal(platformMatches(want, have, any), ok, `${JSON.stringify(want)} vs ${JSON.stringify(have)}`)
})

t.test('hostPlatform maps Node arch names', async (t) => {
  t.same(hostPlatform('x64'), { os: 'linux', architecture: 'amd64' })
  t.same(hostPlatform('arm64'), { os: 'linux', architecture: 'arm64' })
  t.same(hostPlatform('ia32'), { os: 'linux', architecture: '386' })
  t.same(hostPlatform('arm', '6'), { os: 'linux', architecture: 'arm', variant: 'v6' })
  t.same(hostPlatform('arm', 'v7'), { os: 'linux', architecture: 'arm', variant: 'v7' })
  t.equal(hostPlatform().os, 'linux')
})

const entry = (n: number, platform?: Platform, annotations?: Record<string, string>): Descriptor => ({
  mediaType: MediaTypes.OCI_MANIFEST, digest: sha256(String(n)), size: n,
  ...(platform ? { platform } : {}), ...(annotations ? { annotations } : {}),
})

t.test('selectManifest picks the first match, skipping attestations and platform-less entries', async (t) => {
  const index: ImageIndex = {
    schemaVersion: 2,
    manifests: [
      entry(0),
      entry(1, { os: 'unknown', architecture: 'unknown' }),
      entry(2, { os: 'linux', architecture: 'amd64' }, { 'vnd.docker.reference.type': 'attestation-manifest' }),
      entry(3, { os: 'linux', architecture: 'amd64', variant: 'v3' }),
      entry(4, { os: 'linux', architecture: 'amd64' }),
      entry(5, { os: 'linux', architecture: 'amd64' }),
      entry(6, { os: 'linux', architecture: 'arm64', variant: 'v8' }),
      entry(7, { os: 'linux', architecture: 'arm', variant: 'v7' }),
    ],
  }
  t.equal(selectManifest(index, { os: 'linux', architecture: 'amd64' })?.size, 4, 'exact before variant wildcard')
  t.equal(selectManifest(index, { os: 'linux', architecture: 'arm64' })?.size, 6, 'arm64 ≡ arm64/v8')
  t.equal(selectManifest(index, { os: 'linux', architecture: 'aarch64', variant: '8' })?.size, 6)
  t.equal(selectManifest(index, { os: 'linux', architecture: 'armhf' })?.size, 7)
  t.equal(selectManifest(index, { os: 'linux', architecture: 'amd64', variant: 'v3' })?.size, 3)
  t.equal(selectManifest(index, { os: 'linux', architecture: 's390x' }), undefined)
  const only3 = { schemaVersion: 2 as const, manifests: [entry(3, { os: 'linux', architecture: 'amd64', variant: 'v3' })] }
  t.equal(selectManifest(only3, { os: 'linux', architecture: 'amd64' })?.size, 3, 'variant wildcard fallback')
  t.throws(() => requireManifest(index, { os: 'linux', architecture: 's390x' }), NoMatchingPlatformError)
  t.throws(() => requireManifest(index, { os: 'linux', architecture: 's390x' }), {
    code: 'ERR_PLATFORM_NOT_FOUND',
    message: 'no image for platform linux/s390x (available: linux/amd64/v3, linux/amd64, linux/amd64, linux/arm64/v8, linux/arm/v7)',
  })
  t.equal(requireManifest(index, { os: 'linux', architecture: 'arm', variant: 'v7' }).size, 7)
  t.throws(() => requireManifest({ schemaVersion: 2, manifests: [] }, { os: 'linux', architecture: 'amd64' }), { message: /available: none/ })
})
