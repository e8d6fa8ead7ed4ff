import t from 'tap'
import { mkdtemp, mkdir, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises'
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

t.test('other caches\' stashes beyond the 8 most recently used, or unused for 14 days, are removed when one is kept', async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'lading-stash-'))
  t.teardown(() => rm(work, { recursive: true, force: true }))
  const day = 24 * 3600 * 1000
  const names = Array.from({ length: 11 }, (_, i) => i.toString(16).padStart(16, '0'))
  for (const [i, n] of names.entries()) {
    await mkdir(join(work, n, 'layer'), { recursive: true })
    // 0 is the oldest; 10 was used 20 days ago, so it goes whatever its rank.
    const when = new Date(Date.now() - (i === 10 ? 20 * day : (10 - i) * 60_000))
    await utimes(join(work, n), when, when)
  }
  await writeFile(join(work, 'not-a-stash'), '')
  const own = new LayerStash(join(work, 'f'.repeat(16)))
  await own.keep([{ dir: await layerDir(work, 'l', 'one'), sha: A }])
  t.same((await readdir(work)).sort(), [...names.slice(2, 10), 'f'.repeat(16), 'not-a-stash'].sort(), 'the 8 newest others stay, with this one and what is not a stash')
})
