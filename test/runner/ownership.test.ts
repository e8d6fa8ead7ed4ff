// Tests of OwnershipKeeper: writable dirs handed to the build user, re-reading only what changed.
import t from 'tap'
import { lstatSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { OwnershipKeeper } from '../../lib/runner/ownership.js'

const asRoot = process.getuid?.() === 0
const IDS = { uid: 1234, gid: 2345 }

function owner(p: string): [number, number] {
  const st = lstatSync(p)
  return [st.uid, st.gid]
}

/** Passes until one lists only the root (listings become trusted once their ctime is older than a stamp). */
async function settle(keeper: OwnershipKeeper, root: string): Promise<number> {
  for (let i = 0; i < 300; i++) {
    keeper.give(root)
    if (keeper.listed === 1) return i
    await sleep(20)
  }
  throw new Error(`still listing ${keeper.listed} dirs`)
}

t.test('gives a tree to the build user without following links', { skip: !asRoot && 'needs root' }, async (t) => {
  const dir = t.testdir({ tree: { a: { b: 'x' } }, outside: 'o' })
  symlinkSync(join(dir, 'outside'), join(dir, 'tree', 'link'))
  mkdirSync(join(dir, 'tree', 'empty'))
  writeFileSync(join(dir, 'tree', 'a', 'c'), 'y')
  new OwnershipKeeper(IDS).give(join(dir, 'tree'))
  for (const p of ['', 'a', 'a/b', 'a/c', 'empty', 'link']) t.same(owner(join(dir, 'tree', p)), [IDS.uid, IDS.gid], p || '.')
  t.equal(lstatSync(join(dir, 'outside')).uid, 0, 'the link target is not touched')
})

t.test('later passes re-read only changed dirs, and still find what lading added anywhere', { skip: !asRoot && 'needs root' }, async (t) => {
  const dir = t.testdir({ tree: { a: { b: { c: { f: 'x' } } }, d: { g: 'y' } } })
  const root = join(dir, 'tree')
  const keeper = new OwnershipKeeper(IDS)
  keeper.give(root)
  t.equal(keeper.listed, 5, 'the first pass reads every dir')
  await settle(keeper, root)
  t.equal(keeper.listed, 1, 'with nothing changed, only the root is read again')

  // lading (root) adds files deep down and replaces a subtree between runs
  writeFileSync(join(root, 'a', 'b', 'c', 'new'), 'z')
  mkdirSync(join(root, 'a', 'b', 'c', 'sub'))
  writeFileSync(join(root, 'a', 'b', 'c', 'sub', 'deeper'), 'w')
  rmSync(join(root, 'd'), { recursive: true })
  mkdirSync(join(root, 'd'))
  writeFileSync(join(root, 'd', 'h'), 'v')
  t.equal(owner(join(root, 'a', 'b', 'c', 'new'))[0], 0)
  keeper.give(root)
  for (const p of ['a/b/c/new', 'a/b/c/sub', 'a/b/c/sub/deeper', 'd', 'd/h']) t.same(owner(join(root, p)), [IDS.uid, IDS.gid], p)
  t.ok(keeper.listed < 5, `only changed dirs were read (${keeper.listed})`)

  rmSync(join(root, 'a'), { recursive: true })
  t.doesNotThrow(() => keeper.give(root), 'a removed subtree is forgotten')
  t.doesNotThrow(() => new OwnershipKeeper(IDS).give(join(dir, 'missing')), 'a missing root is nothing to do')
})
