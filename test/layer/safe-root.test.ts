import t from 'tap'
import { mkdir, realpath, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { UnsafePathError } from '../../lib/layer/index.js'
import { SafeRoot } from '../../lib/layer/safe-root.js'
import { tempDir } from './helpers.js'

t.test('resolves, creates and follows only inward symlinks', async (t) => {
  const tmp = await realpath(await tempDir(t))
  const root = await SafeRoot.open(join(tmp, 'root'))
  t.equal(root.real, join(tmp, 'root'))
  t.equal(await root.dir(['a', 'b'], 'a/b/f', false), undefined, 'missing and not created')
  const created: string[] = []
  t.equal(await root.dir(['a', 'b'], 'a/b/f', true, (p) => created.push(root.rel(p))), join(tmp, 'root/a/b'))
  t.same(created, ['a', 'a/b'])
  await symlink('a/b', join(tmp, 'root/in'))
  t.equal(await root.dir(['in'], 'in/f', true), join(tmp, 'root/a/b'))
  await symlink(tmp, join(tmp, 'root/out'))
  await t.rejects(root.dir(['out'], 'out/f', true), UnsafePathError)
  await symlink('nowhere', join(tmp, 'root/dangling'))
  await t.rejects(root.dir(['dangling'], 'dangling/f', true), { code: 'ERR_LAYER_UNSAFE_PATH', message: /does not resolve/ })
  await writeFile(join(tmp, 'root/file'), '')
  await t.rejects(root.dir(['file', 'x'], 'file/x/y', true), { code: 'ERR_LAYER_EXTRACT' })
  t.ok(root.contains(join(tmp, 'root')))
  t.notOk(root.contains(join(tmp, 'root-sibling')), 'a sibling sharing the prefix is outside')
})

t.test('forget drops cached resolutions', async (t) => {
  const tmp = await realpath(await tempDir(t))
  const root = await SafeRoot.open(join(tmp, 'root'))
  await mkdir(join(tmp, 'root/d'))
  t.equal(await root.dir(['d'], 'd/f', false), join(tmp, 'root/d'))
  const { rm } = await import('node:fs/promises')
  await rm(join(tmp, 'root/d'), { recursive: true })
  await symlink(tmp, join(tmp, 'root/d'))
  root.forget()
  await t.rejects(root.dir(['d'], 'd/f', false), UnsafePathError)
})

t.test('open fails clearly on a file', async (t) => {
  const tmp = await tempDir(t)
  await writeFile(join(tmp, 'f'), '')
  await t.rejects(SafeRoot.open(join(tmp, 'f')), /open extraction root/)
})
