import t from 'tap'
import { anyTargetMatches, targetMatches } from '../../lib/buildpack/index.js'

t.test('targetMatches: empty on either side or equal', async (t) => {
  const run = { os: 'linux', arch: 'amd64', distro: { name: 'ubuntu', version: '22.04' } }
  const cases: [string, Parameters<typeof targetMatches>[0], boolean][] = [
    ['empty', { distros: [] }, true],
    ['os', { os: 'linux', distros: [] }, true],
    ['os mismatch', { os: 'windows', distros: [] }, false],
    ['arch mismatch', { os: 'linux', arch: 'arm64', distros: [] }, false],
    ['variant vs none', { arch: 'amd64', variant: 'v3', distros: [] }, true],
    ['distro', { distros: [{ name: 'ubuntu', version: '22.04' }] }, true],
    ['distro name only', { distros: [{ name: 'ubuntu' }] }, true],
    ['distro other', { distros: [{ name: 'alpine' }, { name: 'ubuntu', version: '18.04' }] }, false],
    ['distro any-of', { distros: [{ name: 'alpine' }, { name: 'ubuntu', version: '22.04' }] }, true],
  ]
  for (const [name, target, want] of cases) t.equal(targetMatches(target, run), want, name)
  t.ok(targetMatches({ os: 'linux', arch: 'arm', variant: 'v7', distros: [] }, { os: 'linux', arch: 'arm', variant: 'v7' }))
  t.notOk(targetMatches({ variant: 'v6', distros: [] }, { os: 'linux', arch: 'arm', variant: 'v7' }))
  t.notOk(targetMatches({ os: 'linux', distros: [{ name: 'alpine' }] }, { os: 'linux', arch: 'amd64' }), 'unknown run distro')
  t.ok(anyTargetMatches([{ distros: [{ name: 'alpine' }] }], run), 'no os and no arch is a wildcard, distros ignored')
  t.ok(anyTargetMatches([{ os: 'windows', distros: [] }], { os: '', arch: '' }), 'a wildcard run target')
  t.ok(anyTargetMatches([], run))
  t.ok(anyTargetMatches([{ os: 'windows', distros: [] }, { os: 'linux', distros: [] }], run))
  t.notOk(anyTargetMatches([{ os: 'windows', distros: [] }], run))
})
