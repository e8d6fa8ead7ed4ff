import t from 'tap'
import { symlink } from 'node:fs/promises'
import { join } from 'node:path'
import {
  BuildpackAmbiguousError, BuildpackNotFoundError, compareSemver, createBuildpackStore, findBuildpacks,
} from '../../lib/buildpack/index.js'
import { bpToml, tempDir, writeTree } from './fixtures.js'

t.test('compareSemver', async (t) => {
  const cases: [string, string, number | undefined][] = [
    ['1.0.0', '1.0.0', 0], ['1.10.0', '1.9.0', 1], ['2.0.0', '10.0.0', -1], ['1.0.0-rc.1', '1.0.0', -1],
    ['1.0.0-rc.2', '1.0.0-rc.10', -1], ['1.0.0-alpha', '1.0.0-1', 1], ['v1.2.3', '1.2.3', 0], ['1.0.0+b1', '1.0.0', 0],
    ['1.0', '1.0.0', undefined], ['latest', '1.0.0', undefined],
  ]
  for (const [a, b, want] of cases) {
    const got = compareSemver(a, b)
    t.equal(got === undefined ? undefined : Math.sign(got), want, `${a} vs ${b}`)
  }
})

t.test('findBuildpacks walks the tree and looks buildpacks up', async (t) => {
  const root = await tempDir(t)
  await writeTree(root, {
    'acme_node/1.9.0/buildpack.toml': bpToml('acme/node', '1.9.0'),
    'acme_node/1.10.0/buildpack.toml': bpToml('acme/node', '1.10.0'),
    'acme_node/1.10.0/nested/buildpack.toml': bpToml('acme/nested', '1.0.0'),
    'odd/a/buildpack.toml': bpToml('acme/odd', 'latest'),
    'odd/b/buildpack.toml': bpToml('acme/odd', '1.0.0'),
    'dup/a/buildpack.toml': bpToml('acme/dup', '1.0.0'),
    'dup/b/buildpack.toml': bpToml('acme/dup', '1.0.0'),
    'one/buildpack.toml': bpToml('acme/one', '0.1.0'),
    'deep/1/2/3/4/5/buildpack.toml': bpToml('acme/deep', '1.0.0'),
    '.hidden/buildpack.toml': bpToml('acme/hidden', '1.0.0'),
    'empty/': '',
  })
  await symlink(join(root, 'one'), join(root, 'linked'))
  const store = await findBuildpacks(root)
  const ids = store.all().map((d) => `${d.id}@${d.version}`)
  t.same(ids, [
    'acme/dup@1.0.0', 'acme/dup@1.0.0', 'acme/node@1.9.0', 'acme/node@1.10.0', 'acme/odd@1.0.0', 'acme/odd@latest',
    'acme/one@0.1.0',
  ])
  t.equal(store.lookup('acme/one').dir, join(root, 'linked'), 'first path found wins')
  t.equal(store.lookup('acme/node').version, '1.10.0')
  t.equal(store.lookup('acme/node', '1.9.0').dir, join(root, 'acme_node/1.9.0'))
  t.throws(() => store.lookup('acme/node', '3.0.0'), BuildpackNotFoundError)
  t.throws(() => store.lookup('acme/node', '3.0.0'), { message: /acme\/node@1.9.0, acme\/node@1.10.0/ })
  t.throws(() => store.lookup('acme/none'), { code: 'ERR_BUILDPACK_NOT_FOUND' })
  t.throws(() => store.lookup('acme/odd'), BuildpackAmbiguousError)
  t.throws(() => store.lookup('acme/odd'), { message: /latest/ })
  t.equal(store.lookup('acme/odd', 'latest').version, 'latest')
  t.throws(() => store.lookup('acme/dup'), { code: 'ERR_BUILDPACK_AMBIGUOUS', message: /several directories/ })
  const shallow = await findBuildpacks(root, { maxDepth: 1 })
  t.notOk(shallow.all().some((d) => d.id === 'acme/deep'))
  const deeper = await findBuildpacks(root, { maxDepth: 6 })
  t.ok(deeper.all().some((d) => d.id === 'acme/deep'))
})

t.test('fromDir adds once; bad toml fails the search', async (t) => {
  const root = await tempDir(t)
  await writeTree(root, { 'a/buildpack.toml': bpToml('acme/a', '1.0.0'), 'b/buildpack.toml': 'api = ' })
  const store = createBuildpackStore()
  const a1 = await store.fromDir(join(root, 'a'))
  const a2 = await store.fromDir(join(root, 'a/'))
  t.equal(a1, a2)
  t.equal(store.all().length, 1)
  t.equal(store.lookup('acme/a'), a1)
  await t.rejects(findBuildpacks(root), { code: 'ERR_BUILDPACK_DESCRIPTOR', message: /b\/buildpack.toml/ })
})
