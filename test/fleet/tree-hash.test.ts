import t from 'tap'
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { treeDigest } from '../../lib/fleet/index.js'

t.test('same tree, same digest; content, names, exec bits and links count', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lading-tree-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await mkdir(join(dir, 'a', 'sub'), { recursive: true })
  await writeFile(join(dir, 'a', 'sub', 'x.txt'), 'x')
  await writeFile(join(dir, 'a', 'run.sh'), '#!/bin/sh\n')
  const d0 = await treeDigest(join(dir, 'a'))
  t.match(d0, /^sha256:[0-9a-f]{64}$/)
  t.equal(await treeDigest(join(dir, 'a')), d0)
  await chmod(join(dir, 'a', 'run.sh'), 0o755)
  const d1 = await treeDigest(join(dir, 'a'))
  t.not(d1, d0, 'exec bit')
  await writeFile(join(dir, 'a', 'sub', 'x.txt'), 'y')
  const d2 = await treeDigest(join(dir, 'a'))
  t.not(d2, d1, 'content')
  await symlink('sub/x.txt', join(dir, 'a', 'link'))
  t.not(await treeDigest(join(dir, 'a')), d2, 'symlink')
  await t.rejects(treeDigest(join(dir, 'none')), { code: 'ENOENT' })
})
