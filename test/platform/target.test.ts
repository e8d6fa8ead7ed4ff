import t from 'tap'
import {
  TargetDataError, anyTargetMatches, distroFromOsRelease, targetEnv, targetFromImageConfig, targetMatches,
  type BuildpackTarget, type TargetMetadata,
} from '../../lib/platform/index.js'

const cfg = (over: Record<string, unknown>, labels?: Record<string, string>) =>
  ({ os: 'linux', architecture: 'amd64', ...over, config: labels ? { Labels: labels } : {} }) as any

t.test('targetFromImageConfig', async (t) => {
  const CASES: Array<[string, any, TargetMetadata]> = [
    ['plain', cfg({}), { os: 'linux', arch: 'amd64' }],
    ['variant and base labels', cfg({ architecture: 'arm64', variant: 'v8' }, {
      'io.buildpacks.base.id': 'io.example.jammy', 'io.buildpacks.base.distro.name': 'ubuntu', 'io.buildpacks.base.distro.version': '22.04',
    }), { id: 'io.example.jammy', os: 'linux', arch: 'arm64', archVariant: 'v8', distro: { name: 'ubuntu', version: '22.04' } }],
    ['only distro name', cfg({}, { 'io.buildpacks.base.distro.name': 'alpine' }), { os: 'linux', arch: 'amd64', distro: { name: 'alpine', version: '' } }],
    ['bionic legacy rule', cfg({}, { 'io.buildpacks.stack.id': 'io.buildpacks.stacks.bionic' }),
      { os: 'linux', arch: 'amd64', distro: { name: 'ubuntu', version: '18.04' } }],
    ['bionic without os', cfg({ os: '' }, { 'io.buildpacks.stack.id': 'io.buildpacks.stacks.bionic' }),
      { os: 'linux', arch: 'amd64', distro: { name: 'ubuntu', version: '18.04' } }],
    ['bionic with distro labels keeps them', cfg({}, { 'io.buildpacks.stack.id': 'io.buildpacks.stacks.bionic', 'io.buildpacks.base.distro.name': 'x' }),
      { os: 'linux', arch: 'amd64', distro: { name: 'x', version: '' } }],
    ['other stack id ignored', cfg({}, { 'io.buildpacks.stack.id': 'io.buildpacks.stacks.jammy' }), { os: 'linux', arch: 'amd64' }],
  ]
  for (const [name, c, want] of CASES) t.same(targetFromImageConfig(c), want, name)
  t.throws(() => targetFromImageConfig(cfg({ os: '' })), TargetDataError)
  t.throws(() => targetFromImageConfig({ architecture: 'amd64' } as any), { code: 'ERR_TARGET_DATA_INVALID', message: /no "os"/ })
  t.same(targetFromImageConfig({ os: 'linux', architecture: 'amd64', config: { Labels: null } } as any), { os: 'linux', arch: 'amd64' })
})

t.test('targetMatches (§1.1)', async (t) => {
  const run: TargetMetadata = { os: 'linux', arch: 'arm64', archVariant: 'v8', distro: { name: 'ubuntu', version: '22.04' } }
  const CASES: Array<[string, BuildpackTarget, TargetMetadata, boolean]> = [
    ['empty target matches', {}, run, true],
    ['same os/arch', { os: 'linux', arch: 'arm64' }, run, true],
    ['other os', { os: 'windows' }, run, false],
    ['other arch', { arch: 'amd64' }, run, false],
    ['same variant', { arch: 'arm64', variant: 'v8' }, run, true],
    ['other variant', { variant: 'v7' }, run, false],
    ['variant vs none on run', { variant: 'v7' }, { os: 'linux', arch: 'arm' }, true],
    ['distro listed', { distros: [{ name: 'alpine' }, { name: 'ubuntu', version: '22.04' }] }, run, true],
    ['distro name only', { distros: [{ name: 'ubuntu' }] }, run, true],
    ['distro version differs', { distros: [{ name: 'ubuntu', version: '20.04' }] }, run, false],
    ['distro name differs', { distros: [{ name: 'debian' }] }, run, false],
    ['empty distros list', { distros: [] }, run, true],
    ['run without distro data', { distros: [{ name: 'ubuntu' }] }, { os: 'linux', arch: 'amd64' }, true],
    ['run with empty os', { os: 'linux' }, { os: '', arch: '' }, true],
  ]
  for (const [name, bp, r, want] of CASES) t.equal(targetMatches(bp, r), want, name)
  t.ok(anyTargetMatches([], run))
  t.ok(anyTargetMatches([{ os: 'windows' }, { os: 'linux' }], run))
  t.notOk(anyTargetMatches([{ os: 'windows' }], run))
})

t.test('distroFromOsRelease', async (t) => {
  t.same(distroFromOsRelease('NAME="Ubuntu"\nID=ubuntu\nVERSION_ID="22.04"\nID_LIKE=debian\n'), { name: 'ubuntu', version: '22.04' })
  t.same(distroFromOsRelease("ID='alpine'\nVERSION_ID=3.19.1\n"), { name: 'alpine', version: '3.19.1' })
  t.same(distroFromOsRelease('ID=debian\n'), { name: 'debian', version: '' })
  t.equal(distroFromOsRelease('# nothing\nNAME=x\n'), undefined)
  t.equal(distroFromOsRelease(''), undefined)
})

t.test('targetEnv', async (t) => {
  t.same(targetEnv({ id: 'i', os: 'linux', arch: 'arm64', archVariant: 'v8', distro: { name: 'ubuntu', version: '22.04' } }), {
    CNB_TARGET_OS: 'linux', CNB_TARGET_ARCH: 'arm64', CNB_TARGET_ARCH_VARIANT: 'v8',
    CNB_TARGET_DISTRO_NAME: 'ubuntu', CNB_TARGET_DISTRO_VERSION: '22.04', CNB_TARGET_ID: 'i',
  })
  t.same(targetEnv({ os: 'linux', arch: 'amd64' }), {
    CNB_TARGET_OS: 'linux', CNB_TARGET_ARCH: 'amd64', CNB_TARGET_ARCH_VARIANT: '', CNB_TARGET_DISTRO_NAME: '', CNB_TARGET_DISTRO_VERSION: '',
  })
})
