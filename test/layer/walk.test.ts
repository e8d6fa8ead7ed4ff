import t from 'tap'
import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { walkDirectory } from '../../lib/layer/index.js'
import { tempDir } from './helpers.js'

async function all(root: string, exclude?: (p: string) => boolean): Promise<string[]> {
  const out: string[] = []
  for await (const e of walkDirectory(root, exclude ? { exclude } : {})) out.push(e.relPath + (e.stats.isDirectory() ? '/' : ''))
  return out
}

t.test('walks depth first with names sorted by bytes, symlinks not followed', async (t) => {
  const tmp = await tempDir(t)
  for (const n of ['z', 'a.b', 'a', 'A', 'é', 'a/c', 'a/b']) {
    if (n === 'a' || n === 'a/c') await mkdir(join(tmp, n))
    else await writeFile(join(tmp, n), n)
  }
  await symlink(tmp, join(tmp, 'a/c/loop'))
  t.same(await all(tmp), ['A', 'a/', 'a/b', 'a/c/', 'a/c/loop', 'a.b', 'z', 'é'])
})

t.test('exclude prunes directories', async (t) => {
  const tmp = await tempDir(t)
  await mkdir(join(tmp, 'node_modules/x'), { recursive: true })
  await writeFile(join(tmp, 'node_modules/x/f'), '')
  await writeFile(join(tmp, 'keep'), '')
  const offered: string[] = []
  t.same(await all(tmp, (p) => { offered.push(p); return p === 'node_modules' }), ['keep'])
  t.same(offered, ['keep', 'node_modules'])
})

t.test('refuses names that are not UTF-8', async (t) => {
  const tmp = await tempDir(t)
  await writeFile(Buffer.concat([Buffer.from(`${tmp}/bad-`), Buffer.from([0xff, 0xfe])]), 'x')
  await t.rejects(all(tmp), { code: 'ERR_LAYER_NAME_ENCODING' })
})

t.test('wraps a missing root with context', async (t) => {
  await t.rejects(all('/nonexistent-lading-dir'), /read directory \/nonexistent-lading-dir/)
})
