import t from 'tap'
import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LayerStash } from '../../lib/cache/layer-stash.js'

const A = `sha256:${'a'.repeat(64)}`
const B = `sha256:${'b'.repeat(64)}`

async function layerDir(root: string, name: string, content: string): Promise<string> {
  const d = join(root, name)
  await mkdir(join(d, 'bin'), { recursive: true })
  await writeFile(join(d, 'bin', 'tool'), content)
  return d
}

t.test('keep moves layer dirs in; take moves them back out once', async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'lading-stash-'))
  t.teardown(() => rm(work, { recursive: true, force: true }))
  const stash = new LayerStash(join(work, 'stash'))
  const a = await layerDir(work, 'build-a', 'one')
  await stash.keep([{ dir: a, sha: A }])
  t.same(await readdir(work).then((n) => n.includes('build-a')), false, 'moved, not copied')
  const target = join(work, 'restored')
  t.ok(await stash.take(A, target))
  t.equal(await readFile(join(target, 'bin', 'tool'), 'utf8'), 'one')
  t.notOk(await stash.take(A, join(work, 'again')), 'taken once')
  t.notOk(await stash.take(B, join(work, 'none')), 'unknown diffID')
})

t.test('a stashed layer touched since it was kept is dropped, not restored', async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'lading-stash-'))
  t.teardown(() => rm(work, { recursive: true, force: true }))
  const stash = new LayerStash(join(work, 'stash'))
  await stash.keep([{ dir: await layerDir(work, 'l', 'one'), sha: A }])
  await writeFile(join(work, 'stash', 'a'.repeat(64), 'bin', 'tool'), 'tampered')
  t.notOk(await stash.take(A, join(work, 'restored')))
  t.same(await readdir(join(work, 'stash')), [], 'the touched entry is gone')
})

t.test('keep drops entries of earlier builds and survives a failed move', async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'lading-stash-'))
  t.teardown(() => rm(work, { recursive: true, force: true }))
  const stash = new LayerStash(join(work, 'stash'))
  await stash.keep([{ dir: await layerDir(work, 'l1', 'one'), sha: A }])
  await stash.keep([{ dir: await layerDir(work, 'l2', 'two'), sha: B }, { dir: join(work, 'missing'), sha: A }])
  t.same((await readdir(join(work, 'stash'))).sort(), ['b'.repeat(64), `${'b'.repeat(64)}.fingerprint`])
  t.ok(await stash.take(B, join(work, 'r')))
})
