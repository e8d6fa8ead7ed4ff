import t from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkoutCommit, gitProjectSource, resolveRevision } from '../../lib/fleet/index.js'

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.email=t@example.test', '-c', 'user.name=t', ...args], { cwd, encoding: 'utf8' }).trim()

t.test('revisions resolve to commits; a commit is fetched shallow once into the cache and checked out', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lading-fleet-git-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const src = join(dir, 'src')
  await mkdir(src)
  git(src, 'init', '-q', '-b', 'main')
  await writeFile(join(src, 'f.txt'), 'one\n')
  git(src, 'add', '.')
  git(src, 'commit', '-qm', 'one')
  const one = git(src, 'rev-parse', 'HEAD')
  git(src, 'tag', '-a', 'v1', '-m', 'v1')
  await writeFile(join(src, 'f.txt'), 'two\n')
  git(src, 'commit', '-qam', 'two')
  const two = git(src, 'rev-parse', 'HEAD')
  const url = `file://${src}`
  t.equal(await resolveRevision(url, 'main'), two)
  t.equal(await resolveRevision(url, 'HEAD'), two)
  t.equal(await resolveRevision(url, 'v1'), one, 'an annotated tag resolves to its commit')
  t.equal(await resolveRevision(url, one), one, 'a commit is taken as is')
  await t.rejects(resolveRevision(url, 'nope'), { code: 'ERR_FLEET_GIT', message: /has no revision "nope"/ })
  await t.rejects(resolveRevision(`file://${dir}/none`, 'main'), { code: 'ERR_FLEET_GIT' })

  const cache = join(dir, 'cache')
  const out1 = await checkoutCommit(url, one, cache, join(dir, 'co1'))
  t.equal(await readFile(join(out1, 'f.txt'), 'utf8'), 'one\n')
  const shallow = execFileSync('git', ['--git-dir', join(cache, (await import('node:fs')).readdirSync(cache)[0]!), 'rev-parse', '--is-shallow-repository'], { encoding: 'utf8' }).trim()
  t.equal(shallow, 'true', 'fetched with depth 1')
  await rm(src, { recursive: true })
  const out2 = await checkoutCommit(url, one, cache, join(dir, 'co2'))
  t.equal(await readFile(join(out2, 'f.txt'), 'utf8'), 'one\n', 'a cached commit needs no fetch')
  await t.rejects(checkoutCommit(url, two, cache, join(dir, 'co3')), { code: 'ERR_FLEET_GIT' })
  t.same(gitProjectSource(url, one, 'main'), { type: 'git', version: { commit: one }, metadata: { repository: url, revision: 'main' } })
})
