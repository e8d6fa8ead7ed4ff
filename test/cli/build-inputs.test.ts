import t from 'tap'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { chooseBuildpacks, parseBuildEnv } from '../../lib/cli/build-inputs.js'
import type { ProjectDescriptor } from '../../lib/platform/index.js'
import { bpToml, tempDir, writeTree } from '../buildpack/fixtures.js'

function project(buildpacks: ProjectDescriptor['buildpacks']): ProjectDescriptor {
  return { schemaVersion: '0.2', buildpacks, pre: [], post: [], env: {}, warnings: [] }
}

/** A directory of buildpacks: a/1.0.0, a/2.0.0, b/0.1.0, and one with a broken buildpack.toml. */
async function buildpacksDir(t: Parameters<typeof tempDir>[0]): Promise<string> {
  const root = await tempDir(t)
  await writeTree(root, {
    'a-1/buildpack.toml': bpToml('test/a', '1.0.0'),
    'a-2/buildpack.toml': bpToml('test/a', '2.0.0'),
    'nested/b/buildpack.toml': bpToml('test/b', '0.1.0'),
    'broken/buildpack.toml': 'api = "0.10"\n[buildpack\n',
  })
  return root
}

t.test('--buildpack DIR reads the buildpack there; the group keeps flag order', async (t) => {
  const root = await buildpacksDir(t)
  const app = await tempDir(t)
  const c = await chooseBuildpacks({ buildpacks: [join(root, 'nested/b'), join(root, 'a-1')], appDir: app })
  t.equal(c.source, '--buildpack')
  t.same(c.order, [{ group: [{ id: 'test/b', version: '0.1.0' }, { id: 'test/a', version: '1.0.0' }] }])
  t.equal(c.store.lookup('test/b').dir, join(root, 'nested/b'))
})

t.test('--buildpack ID[@VERSION] is found under --buildpacks-dir; a broken buildpack there is skipped', async (t) => {
  const root = await buildpacksDir(t)
  const app = await tempDir(t)
  const skipped: string[] = []
  const c = await chooseBuildpacks({ buildpacks: ['test/a@1.0.0', 'test/b'], buildpacksDir: root, appDir: app, onSkipped: (m) => skipped.push(m) })
  t.same(c.order, [{ group: [{ id: 'test/a', version: '1.0.0' }, { id: 'test/b' }] }])
  t.equal(c.store.lookup('test/a').version, '2.0.0', 'the newest when no version is pinned')
  t.equal(skipped.length, 1)
  t.match(skipped[0], /^skipped buildpack: .*broken/)
  await t.rejects(chooseBuildpacks({ buildpacks: ['test/a@9.9.9'], buildpacksDir: root, appDir: app }),
    { code: 'ERR_BUILDPACK_NOT_FOUND', message: /test\/a/ }, 'an unknown version fails before detection')
  await t.rejects(chooseBuildpacks({ buildpacks: ['test/nope'], appDir: app }), { code: 'ERR_BUILDPACK_NOT_FOUND' })
})

t.test('--order FILE when no --buildpack is given', async (t) => {
  const root = await buildpacksDir(t)
  const app = await tempDir(t)
  const order = join(app, 'order.toml')
  await writeFile(order, '[[order]]\n[[order.group]]\nid = "test/a"\nversion = "2.0.0"\n\n[[order]]\n[[order.group]]\nid = "test/b"\noptional = true\n')
  const c = await chooseBuildpacks({ buildpacks: [], buildpacksDir: root, orderFile: order, appDir: app })
  t.equal(c.source, order)
  t.same(c.order, [{ group: [{ id: 'test/a', version: '2.0.0' }] }, { group: [{ id: 'test/b', optional: true }] }])
  const flagWins = await chooseBuildpacks({ buildpacks: ['test/b'], buildpacksDir: root, orderFile: order, appDir: app })
  t.equal(flagWins.source, '--buildpack')
})

t.test('project.toml buildpacks: ids (with versions) and uris relative to the app', async (t) => {
  const root = await buildpacksDir(t)
  const app = await tempDir(t)
  await writeTree(app, { 'bps/local/buildpack.toml': bpToml('test/local', '0.0.1') })
  const c = await chooseBuildpacks({
    buildpacks: [], buildpacksDir: root, appDir: app,
    project: project([{ id: 'test/a', version: '1.0.0' }, { uri: 'bps/local' }, { uri: `file://${join(root, 'nested/b')}` }, { id: 'test/a' }]),
  })
  t.equal(c.source, 'project.toml')
  t.same(c.order, [{ group: [
    { id: 'test/a', version: '1.0.0' }, { id: 'test/local', version: '0.0.1' }, { id: 'test/b', version: '0.1.0' }, { id: 'test/a' },
  ] }])
  await t.rejects(chooseBuildpacks({ buildpacks: [], appDir: app, project: project([{ script: { api: '0.10', inline: 'true' } } as never]) }),
    { code: 'ERR_USAGE', message: /neither id nor uri/ })
})

t.test('project.toml inline buildpacks become buildpack dirs in the scratch dir; pre and post wrap every group', async (t) => {
  const root = await buildpacksDir(t)
  const app = await tempDir(t)
  const scratch = await tempDir(t)
  const p: ProjectDescriptor = {
    ...project([{ id: 'my/inline', script: { api: '0.10', inline: 'echo built > "$CNB_LAYERS_DIR/out"', shell: '/bin/sh' } }, { id: 'test/b' }]),
    pre: [{ id: 'test/a', version: '1.0.0' }], post: [{ id: 'my/post', version: '2.0.0', script: { api: '0.9', inline: 'true', shell: 'bash -eu' } }],
  }
  const c = await chooseBuildpacks({ buildpacks: [], buildpacksDir: root, appDir: app, project: p, scratchDir: async () => scratch })
  t.same(c.order, [{ group: [
    { id: 'test/a', version: '1.0.0' }, { id: 'my/inline', version: '0.0.0' }, { id: 'test/b' }, { id: 'my/post', version: '2.0.0' },
  ] }])
  const inline = c.store.lookup('my/inline', '0.0.0')
  t.equal(inline.dir, join(scratch, 'my_inline', '0.0.0'))
  t.equal(inline.api, '0.10')
  t.equal(c.store.lookup('my/post').api, '0.9')
  const flags = await chooseBuildpacks({ buildpacks: ['test/b'], buildpacksDir: root, appDir: app, project: p, scratchDir: async () => scratch })
  t.same(flags.order, [{ group: [{ id: 'test/a', version: '1.0.0' }, { id: 'test/b' }, { id: 'my/post', version: '2.0.0' }] }], 'pre/post wrap --buildpack groups too')
  await t.rejects(chooseBuildpacks({ buildpacks: [], appDir: app, scratchDir: async () => scratch, project: project([{ id: 'app', script: { api: '0.10', inline: 'true', shell: '/bin/sh' } }]) }),
    { code: 'ERR_BUILDPACK_DESCRIPTOR', message: /project\.toml.*io\.buildpacks\.group\[0\]\.id.*reserved/ })
})

t.test('no buildpacks anywhere: a usage error naming the flags', async (t) => {
  const app = await tempDir(t)
  for (const p of [undefined, project([])]) {
    await t.rejects(chooseBuildpacks({ buildpacks: [], appDir: app, ...(p ? { project: p } : {}) }),
      { code: 'ERR_USAGE', message: /--buildpack .*--order FILE.*project\.toml/ })
  }
})

t.test('parseBuildEnv: files then flags; comments, blank lines and CRLF', async (t) => {
  const dir = await tempDir(t)
  const a = join(dir, 'a.env')
  const b = join(dir, 'b.env')
  await writeFile(a, '# a comment\r\nA=1\r\n\r\n  # indented comment\nB=x=y\nEMPTY=\nSPACE= v # kept\n')
  await writeFile(b, 'A=2\nC=3')
  t.same(await parseBuildEnv(['C=flag', 'D='], [a, b]), { A: '2', B: 'x=y', EMPTY: '', SPACE: ' v # kept', C: 'flag', D: '' })
  t.same(await parseBuildEnv([], []), {})
})

t.test('parseBuildEnv: bad lines and missing files are usage errors naming the source', async (t) => {
  const dir = await tempDir(t)
  const bad = join(dir, 'bad.env')
  await writeFile(bad, 'OK=1\nNOEQUALS\n')
  await t.rejects(parseBuildEnv([], [bad]), { code: 'ERR_USAGE', message: new RegExp(`--env-file ${bad}: expected NAME=VALUE, got "NOEQUALS"`) })
  await t.rejects(parseBuildEnv(['=v'], []), { code: 'ERR_USAGE', message: /--env: expected NAME=VALUE, got "=v"/ })
  await t.rejects(parseBuildEnv(['K'], []), { code: 'ERR_USAGE' })
  await t.rejects(parseBuildEnv([], [join(dir, 'missing.env')]), { code: 'ERR_USAGE', message: /missing\.env: no such file/ })
  await t.rejects(parseBuildEnv([], [dir]), { code: 'ERR_USAGE', message: /--env-file/ }, 'a directory is not an env file')
})
