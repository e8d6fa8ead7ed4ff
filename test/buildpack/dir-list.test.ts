import t from 'tap'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isDir, isFile, listDirs, listFiles, sortedNames } from '../../lib/buildpack/dir-list.js'

t.test('sorted listings; a missing dir or a file in its place is empty', async (t) => {
  const d = await mkdtemp(join(tmpdir(), 'lading-dirlist-'))
  t.teardown(() => rm(d, { recursive: true, force: true }))
  await writeFile(join(d, 'b'), '')
  await writeFile(join(d, 'a'), '')
  await mkdir(join(d, 'z'))
  await symlink('a', join(d, 'link'))
  await symlink('nowhere', join(d, 'dangling'))
  t.same(await sortedNames(d), ['a', 'b', 'dangling', 'link', 'z'])
  t.same(await listFiles(d), ['a', 'b', 'link'], 'symlinks followed, dangling ones skipped')
  t.same(await listDirs(d), ['z'])
  t.same(await sortedNames(join(d, 'missing')), [])
  t.same(await sortedNames(join(d, 'a')), [], 'a file is not a directory')
  t.ok(await isFile(join(d, 'a')))
  t.notOk(await isFile(join(d, 'z')))
  t.ok(await isDir(join(d, 'z')))
  t.notOk(await isDir(join(d, 'missing')))
})
