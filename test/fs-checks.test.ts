import t from 'tap'
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { isDir, isFile, pathExists } from '../lib/fs-checks.js'

t.test('files, directories, symlinks and missing paths', async (t) => {
  const d = t.testdir()
  writeFileSync(join(d, 'f'), 'x')
  mkdirSync(join(d, 'sub'))
  symlinkSync('sub', join(d, 'link'))
  symlinkSync('nowhere', join(d, 'dangling'))
  t.same([await pathExists(join(d, 'f')), await isFile(join(d, 'f')), await isDir(join(d, 'f'))], [true, true, false])
  t.same([await pathExists(join(d, 'link')), await isFile(join(d, 'link')), await isDir(join(d, 'link'))], [true, false, true], 'symlinks followed')
  t.same([await pathExists(join(d, 'dangling')), await isFile(join(d, 'dangling')), await isDir(join(d, 'dangling'))], [false, false, false])
  t.same([await pathExists(join(d, 'none')), await isDir(join(d, 'none'))], [false, false])
})

t.test('pathExists throws for errors other than ENOENT', async (t) => {
  const d = t.testdir()
  writeFileSync(join(d, 'file'), 'x')
  await t.rejects(pathExists(join(d, 'file', 'below')), { code: 'ENOTDIR' })
  if (process.getuid?.() === 0) return
  mkdirSync(join(d, 'closed'))
  chmodSync(join(d, 'closed'), 0)
  await t.rejects(pathExists(join(d, 'closed', 'x')), { code: 'EACCES' })
})
