import t from 'tap'
import { mkdir, readdir, realpath, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { SafeRoot } from '../../lib/layer/safe-root.js'
import { applyWhiteout, OPAQUE_WHITEOUT } from '../../lib/layer/whiteout.js'
import { tempDir } from './helpers.js'

t.test('removes named entries without following symlinks, keeps this layer', async (t) => {
  const tmp = await realpath(await tempDir(t))
  const outside = join(tmp, 'outside')
  await mkdir(outside)
  await writeFile(join(outside, 'precious'), 'p')
  const rootDir = join(tmp, 'root')
  await mkdir(join(rootDir, 'd/sub'), { recursive: true })
  await writeFile(join(rootDir, 'd/sub/f'), '')
  await writeFile(join(rootDir, 'd/mine'), '')
  await symlink(outside, join(rootDir, 'd/link'))
  const root = await SafeRoot.open(rootDir)
  const written = new Set(['d/mine'])
  await applyWhiteout(root, ['d'], '.wh.sub', 'd/.wh.sub', written)
  await applyWhiteout(root, ['d'], '.wh.link', 'd/.wh.link', written)
  await applyWhiteout(root, ['d'], '.wh.mine', 'd/.wh.mine', written)
  t.same(await readdir(join(rootDir, 'd')), ['mine'])
  t.same(await readdir(outside), ['precious'], 'the symlink went, its target stayed')
})

t.test('opaque keeps only what this layer wrote, recursively', async (t) => {
  const tmp = await realpath(await tempDir(t))
  const rootDir = join(tmp, 'root')
  for (const p of ['o/lower', 'o/keep/lower', 'o/keep/mine']) {
    await mkdir(join(rootDir, p, '..'), { recursive: true })
    await writeFile(join(rootDir, p), '')
  }
  const root = await SafeRoot.open(rootDir)
  await applyWhiteout(root, ['o'], OPAQUE_WHITEOUT, 'o/.wh..wh..opq', new Set(['o/keep', 'o/keep/mine']))
  t.same(await readdir(join(rootDir, 'o')), ['keep'])
  t.same(await readdir(join(rootDir, 'o/keep')), ['mine'])
  await applyWhiteout(root, ['nope'], OPAQUE_WHITEOUT, 'nope/.wh..wh..opq', new Set())
  t.same((await readdir(rootDir)).sort(), ['o'], 'missing dir: nothing to do, nothing created')
})
