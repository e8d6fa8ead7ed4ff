// Tests of the sandbox's root-dropping helpers: host ids, stage dirs, chownTree.
import t from 'tap'
import { lstatSync, mkdirSync, readdirSync, existsSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { chownTree, hostIdsFor, makeStage, NOBODY, removeStage } from '../../lib/runner/privilege.js'

t.test('the build user keeps its ids on the host; root becomes nobody', async (t) => {
  t.same(hostIdsFor(1000, 1001), { uid: 1000, gid: 1001 })
  t.same(hostIdsFor(0, 0), { uid: NOBODY, gid: NOBODY })
})

t.test('a stage has one empty mount point per distinct source, is reachable by others, and is removed without touching sources', async (t) => {
  const dir = t.testdir({ d: { keep: 'x' }, f: 'file' })
  const stage = await makeStage([join(dir, 'd'), join(dir, 'f'), join(dir, 'd')])
  t.equal(stage.mounts.length, 2)
  t.equal(lstatSync(stage.dir).mode & 0o777, 0o711)
  t.ok(lstatSync(stage.map.get(join(dir, 'd'))!).isDirectory())
  t.ok(lstatSync(stage.map.get(join(dir, 'f'))!).isFile())
  await removeStage(stage)
  t.notOk(existsSync(stage.dir))
  t.same(readdirSync(join(dir, 'd')), ['keep'])
})

t.test('chownTree gives a tree to the build user without following links', { skip: process.getuid?.() !== 0 && 'needs root' }, async (t) => {
  const dir = t.testdir({ tree: { a: { b: 'x' } }, outside: 'o' })
  symlinkSync(join(dir, 'outside'), join(dir, 'tree', 'link'))
  mkdirSync(join(dir, 'tree', 'empty'))
  writeFileSync(join(dir, 'tree', 'a', 'c'), 'y')
  await chownTree(join(dir, 'tree'), { uid: 1234, gid: 2345 })
  for (const p of ['', 'a', 'a/b', 'a/c', 'empty', 'link']) {
    const st = lstatSync(join(dir, 'tree', p))
    t.same([st.uid, st.gid], [1234, 2345], p || '.')
  }
  t.equal(lstatSync(join(dir, 'outside')).uid, 0, 'the link target is not touched')
})
