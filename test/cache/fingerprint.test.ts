import t from 'tap'
import { chmod, mkdir, mkdtemp, rm, symlink, unlink, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { treeFingerprint } from '../../lib/cache/fingerprint.js'

let work: string
t.before(async () => { work = await mkdtemp(join(tmpdir(), 'lading-fp-')) })
t.teardown(() => rm(work, { recursive: true, force: true }))

const BIG = Buffer.alloc(128 * 1024, 7)
let n = 0
async function makeTree(): Promise<string> {
  const d = join(work, `t${n++}`)
  await mkdir(join(d, 'env'), { recursive: true })
  await writeFile(join(d, 'env/PATH.prepend'), '/x/bin')
  await writeFile(join(d, 'small.txt'), 'hello')
  await writeFile(join(d, 'big.bin'), BIG)
  await symlink('small.txt', join(d, 'link'))
  return d
}

t.test('stable: same tree, same value; a small file rewritten with the same bytes is unchanged', async (t) => {
  const d = await makeTree()
  const a = await treeFingerprint(d)
  t.match(a, /^[0-9a-f]{64}$/)
  t.equal(await treeFingerprint(d), a)
  await writeFile(join(d, 'small.txt'), 'hello')
  await utimes(join(d, 'small.txt'), new Date(2001, 1, 1), new Date(2001, 1, 1))
  await writeFile(join(d, 'env/PATH.prepend'), '/x/bin')
  t.equal(await treeFingerprint(d), a, 'small files compare by content, not times')
})

t.test('changes are seen', async (t) => {
  const cases: [string, (d: string) => Promise<void>][] = [
    ['one byte of a small file', (d) => writeFile(join(d, 'small.txt'), 'hellp')],
    ['a large file touched (same bytes)', async (d) => {
      await writeFile(join(d, 'big.bin'), BIG)
      await utimes(join(d, 'big.bin'), new Date(2001, 1, 1), new Date(2001, 1, 1))
    }],
    ['a mode change', (d) => chmod(join(d, 'small.txt'), 0o600)],
    ['a directory mode change', (d) => chmod(join(d, 'env'), 0o700)],
    ['the root mode', (d) => chmod(d, 0o700)],
    ['a symlink retargeted', async (d) => {
      await unlink(join(d, 'link'))
      await symlink('big.bin', join(d, 'link'))
    }],
    ['a new empty file', (d) => writeFile(join(d, 'env/NEW'), '')],
    ['a new empty dir', (d) => mkdir(join(d, 'empty'))],
    ['a file removed', (d) => unlink(join(d, 'small.txt'))],
    ['a file renamed-by-content (same bytes, other name)', async (d) => {
      await unlink(join(d, 'small.txt'))
      await writeFile(join(d, 'small2.txt'), 'hello')
    }],
  ]
  for (const [what, change] of cases) {
    const d = await makeTree()
    const before = await treeFingerprint(d)
    await change(d)
    t.not(await treeFingerprint(d), before, what)
  }
})

t.test('two identical small-file trees in different places fingerprint equal; empty dirs too', async (t) => {
  const a = join(work, 'same-a')
  const b = join(work, 'same-b')
  for (const d of [a, b]) {
    await mkdir(join(d, 'x'), { recursive: true })
    await writeFile(join(d, 'x/f'), 'same')
  }
  t.equal(await treeFingerprint(a), await treeFingerprint(b))
  await mkdir(join(work, 'e1'))
  await mkdir(join(work, 'e2'))
  t.equal(await treeFingerprint(join(work, 'e1')), await treeFingerprint(join(work, 'e2')))
})

t.test('a missing dir rejects', async (t) => {
  await t.rejects(treeFingerprint(join(work, 'missing')), { code: 'ENOENT' })
})
