import t from 'tap'
import { IncompatibleApiError } from '../../lib/api-version.js'
import {
  BuildpackDescriptorError, buildpackPath, escapeId, inferTargets, isComposite, parseBuildpackDescriptor, readBuildpackDescriptor,
} from '../../lib/buildpack/index.js'
import { bpToml, script, tempDir, writeTree } from './fixtures.js'

const P = '/bps/x/buildpack.toml'

t.test('parses a component buildpack with every key', async (t) => {
  const d = parseBuildpackDescriptor(`api = "0.10"
[buildpack]
id = "acme/node"
version = "2.1.0"
name = "Node"
homepage = "https://example.test/node"
description = "d"
keywords = ["a", "b"]
clear-env = true
sbom-formats = ["application/vnd.cyclonedx+json"]
exec-env = ["production"]
[[buildpack.licenses]]
type = "MIT"
[[targets]]
os = "linux"
arch = "arm64"
arch-variant = "v8"
[[targets.distros]]
name = "ubuntu"
version = "22.04"
[[targets]]
os = "linux"
variant = "v7"
[metadata]
k = "v"
`, P, { dir: '/bps/x' })
  t.equal(d.api, '0.10')
  t.equal(d.id, 'acme/node')
  t.equal(d.version, '2.1.0')
  t.equal(d.name, 'Node')
  t.equal(d.homepage, 'https://example.test/node')
  t.equal(d.description, 'd')
  t.same(d.keywords, ['a', 'b'])
  t.equal(d.clearEnv, true)
  t.same(d.sbomFormats, ['application/vnd.cyclonedx+json'])
  t.same(d.execEnv, ['production'])
  t.same(d.licenses, [{ type: 'MIT' }])
  t.same(d.targets, [
    { os: 'linux', arch: 'arm64', variant: 'v8', distros: [{ name: 'ubuntu', version: '22.04' }] },
    { os: 'linux', variant: 'v7', distros: [] },
  ])
  t.same(d.metadata, { k: 'v' })
  t.equal(d.dir, '/bps/x')
  t.notOk(isComposite(d))
})

t.test('parses a composite buildpack order', async (t) => {
  const d = parseBuildpackDescriptor(`api = "0.10"
[buildpack]
id = "acme/web-stack"
version = "1.4.0"
[[order]]
  [[order.group]]
  id = "acme/node"
  version = "2.1.0"
  [[order.group]]
  id = "acme/procfile"
  optional = true
[[order]]
  [[order.group]]
  id = "acme/static"
`, P, { binFiles: [] })
  t.ok(isComposite(d))
  t.same(d.order, [
    { group: [{ id: 'acme/node', version: '2.1.0', optional: false }, { id: 'acme/procfile', optional: true }] },
    { group: [{ id: 'acme/static', optional: false }] },
  ])
  t.same(d.targets, [])
})

t.test('api "1" style and defaults', async (t) => {
  const d = parseBuildpackDescriptor(bpToml('a', '1.0.0', '0.7'), P)
  t.equal(d.api, '0.7')
  t.equal(d.clearEnv, false)
  t.same(d.sbomFormats, [])
  t.same(d.targets, [])
})

t.test('rejects bad descriptors naming the file and key', async (t) => {
  const cases: [string, string, string | undefined, RegExp][] = [
    ['bad toml', 'api = "0.10"\n[buildpack\nid="x"', undefined, /invalid TOML at line 2/],
    ['missing api', '[buildpack]\nid = "a"\nversion = "1"', 'api', /is required/],
    ['missing table', 'api = "0.10"', 'buildpack', /required/],
    ['missing id', 'api = "0.10"\n[buildpack]\nversion = "1"', 'buildpack.id', /required/],
    ['missing version', 'api = "0.10"\n[buildpack]\nid = "a"', 'buildpack.version', /required/],
    ['an @ (id@version keys)', bpToml('a@b', '1'), 'buildpack.id', /contains "@"/],
    ['a control character', bpToml('a\\tb', '1'), 'buildpack.id', /contains "\\t"/],
    ['a dot-dot directory', bpToml('..', '1'), 'buildpack.id', /cannot name a directory/],
    ['reserved app', bpToml('app', '1'), 'buildpack.id', /reserved/],
    ['reserved config', bpToml('config', '1'), 'buildpack.id', /reserved/],
    ['reserved generated', bpToml('generated', '1'), 'buildpack.id', /reserved/],
    ['reserved SBOM', bpToml('SBOM', '1'), 'buildpack.id', /reserved/],
    ['id type', 'api = "0.10"\n[buildpack]\nid = 3\nversion = "1"', 'buildpack.id', /string/],
    ['clear-env type', bpToml('a', '1', '0.10', 'clear-env = "yes"'), 'buildpack.clear-env', /boolean/],
    ['order group id', bpToml('a', '1', '0.10', '[[order]]\n[[order.group]]\nversion = "1"'), 'order[0].group[0].id', /required/],
    ['composite+targets', bpToml('a', '1', '0.10', '[[order]]\n[[order.group]]\nid = "b"\n[[targets]]\nos = "linux"'), 'targets', /composite/],
    ['composite+stacks', bpToml('a', '1', '0.10', '[[order]]\n[[order.group]]\nid = "b"\n[[stacks]]\nid = "*"'), 'stacks', /composite/],
  ]
  for (const [name, text, key, re] of cases) {
    const e = t.throws(() => parseBuildpackDescriptor(text, P), name) as unknown as BuildpackDescriptorError
    t.ok(e instanceof BuildpackDescriptorError, name)
    t.equal(e.code, 'ERR_BUILDPACK_DESCRIPTOR', name)
    t.equal(e.key, key, name)
    t.equal(e.path, P, name)
    t.match(e.message, re, name)
    t.match(e.message, P, name)
  }
  const composite = bpToml('a', '1', '0.10', '[[order]]\n[[order.group]]\nid = "b"')
  t.throws(() => parseBuildpackDescriptor(composite, P, { binFiles: ['build'] }), { key: 'order', message: /bin/ })
  t.ok(parseBuildpackDescriptor(composite, P, { binFiles: [] }))
})

t.test('unsupported api is an IncompatibleApiError naming the file', async (t) => {
  for (const api of ['0.6', '0.12', 'nope']) {
    const e = t.throws(() => parseBuildpackDescriptor(bpToml('a', '1', api), P)) as unknown as IncompatibleApiError
    t.ok(e instanceof IncompatibleApiError, api)
    t.equal(e.code, 'ERR_BUILDPACK_API')
    t.match(e.message, P)
  }
})

t.test('escapeId replaces every slash', async (t) => {
  t.equal(escapeId('acme/node'), 'acme_node')
  t.equal(escapeId('a/b/c'), 'a_b_c')
  t.equal(escapeId('plain'), 'plain')
  t.equal(buildpackPath('acme/node', '2.1.0'), '/cnb/buildpacks/acme_node/2.1.0')
  t.equal(buildpackPath('a', '1', '/x/bps/'), '/x/bps/a/1')
})

t.test('target inference from stacks and bin', async (t) => {
  t.same(inferTargets([{ id: 'io.buildpacks.stacks.bionic', mixins: [] }], ['build']), [
    { os: 'linux', arch: 'amd64', distros: [{ name: 'ubuntu', version: '18.04' }] },
  ])
  t.same(inferTargets([{ id: 'x', mixins: [] }, { id: '*', mixins: [] }], []), [{ distros: [] }])
  t.same(inferTargets([{ id: 'other', mixins: [] }], ['build', 'detect']), [{ os: 'linux', distros: [] }])
  t.same(inferTargets([], ['build.bat']), [{ os: 'windows', distros: [] }])
  t.same(inferTargets([], ['build.exe', 'build']), [{ os: 'linux', distros: [] }, { os: 'windows', distros: [] }])
  t.same(inferTargets([], undefined), [])
  const d = parseBuildpackDescriptor(bpToml('a', '1', '0.10', '[[stacks]]\nid = "io.buildpacks.stacks.bionic"'), P)
  t.same(d.declaredTargets, [])
  t.equal(d.targets[0]?.arch, 'amd64')
})

t.test('readBuildpackDescriptor reads the dir and its bin/', async (t) => {
  const root = await tempDir(t)
  await writeTree(root, {
    'comp/buildpack.toml': bpToml('acme/comp', '1.0.0'),
    'comp/bin/build': script('exit 0'),
    'comp/bin/detect': script('exit 0'),
    'bad/buildpack.toml': bpToml('acme/bad', '1.0.0', '0.10', '[[order]]\n[[order.group]]\nid = "x"'),
    'bad/bin/build': script('exit 0'),
  })
  const d = await readBuildpackDescriptor(`${root}/comp`)
  t.equal(d.dir, `${root}/comp`)
  t.equal(d.path, `${root}/comp/buildpack.toml`)
  t.same(d.targets, [{ os: 'linux', distros: [] }])
  await t.rejects(readBuildpackDescriptor(`${root}/bad`), { code: 'ERR_BUILDPACK_DESCRIPTOR', key: 'order' })
  await t.rejects(readBuildpackDescriptor(`${root}/missing`), { code: 'ERR_BUILDPACK_DESCRIPTOR', message: /cannot read/ })
})

t.test("ids the lifecycle accepts are accepted (its fixtures use cacher_buildpack)", async (t) => {
  for (const id of ['cacher_buildpack', 'A_B/c.d-e', 'some buildpack', '0.9/buildpack']) {
    t.equal(parseBuildpackDescriptor(bpToml(id, '1'), 'buildpack.toml').id, id, id)
  }
})
