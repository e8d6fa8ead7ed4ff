import t from 'tap'
import { chmod, lstat, mkdir, mkdtemp, readFile, readlink, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { copyApp, emptyCnbDirs, prepareBuildDirs, prepareCnbDirs, writePlatformEnv } from '../../lib/lifecycle/workspace.js'

let work: string
t.before(async () => { work = await mkdtemp(join(tmpdir(), 'lading-ws-')) })
t.teardown(() => rm(work, { recursive: true, force: true }))

let n = 0
const fresh = (): string => join(work, `d${n++}`)

/** Every path under `dir` (POSIX, relative, sorted), directories marked with a trailing slash. */
async function tree(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = []
  for (const name of (await readdir(join(dir, rel))).sort()) {
    const r = rel ? `${rel}/${name}` : name
    const st = await lstat(join(dir, r))
    if (st.isDirectory()) out.push(`${r}/`, ...await tree(dir, r))
    else out.push(r)
  }
  return out
}

async function makeApp(): Promise<string> {
  const app = fresh()
  await mkdir(join(app, 'src/lib'), { recursive: true })
  await mkdir(join(app, 'node_modules/x'), { recursive: true })
  await mkdir(join(app, 'logs'), { recursive: true })
  await writeFile(join(app, 'main.js'), 'main')
  await writeFile(join(app, 'run.sh'), '#!/bin/sh\n')
  await chmod(join(app, 'run.sh'), 0o750)
  await writeFile(join(app, 'src/a.js'), 'a')
  await writeFile(join(app, 'src/lib/b.js'), 'b')
  await writeFile(join(app, 'debug.log'), 'log')
  await writeFile(join(app, 'keep.log'), 'keep')
  await writeFile(join(app, 'logs/today.txt'), 't')
  await writeFile(join(app, 'node_modules/x/index.js'), 'x')
  await symlink('src/a.js', join(app, 'link-to-a'))
  await symlink('/nonexistent/target', join(app, 'dangling'))
  await symlink('src', join(app, 'link-to-dir'))
  return app
}

t.test('prepareBuildDirs creates workspace, layers and platform/env under root', async (t) => {
  const root = fresh()
  const dirs = await prepareBuildDirs(root)
  t.same(dirs, { root, workspace: join(root, 'workspace'), layers: join(root, 'layers'), platform: join(root, 'platform') })
  for (const d of [dirs.workspace, dirs.layers, join(dirs.platform, 'env')]) t.ok((await stat(d)).isDirectory(), d)
  t.same(await prepareBuildDirs(root), dirs, 'idempotent')
})

t.test('copyApp copies everything with modes; symlinks stay links and are never followed', async (t) => {
  const app = await makeApp()
  const dest = fresh()
  const { files } = await copyApp(app, dest)
  t.same(await tree(dest), await tree(app))
  t.equal(files, 11, 'files and links, not directories')
  t.equal((await stat(join(dest, 'run.sh'))).mode & 0o777, 0o750, 'mode kept')
  t.equal(await readFile(join(dest, 'src/lib/b.js'), 'utf8'), 'b')
  for (const [l, target] of [['link-to-a', 'src/a.js'], ['dangling', '/nonexistent/target'], ['link-to-dir', 'src']]) {
    t.ok((await lstat(join(dest, l!))).isSymbolicLink(), `${l} is a link`)
    t.equal(await readlink(join(dest, l!)), target, `${l} target verbatim`)
  }
  t.same(await tree(app), await tree(app), 'source untouched')
})

t.test('copyApp exclude: gitignore patterns, directory patterns prune, negation re-includes', async (t) => {
  const app = await makeApp()
  const dest = fresh()
  await copyApp(app, dest, { exclude: ['*.log', '!keep.log', 'node_modules/', 'logs', 'link-to-*'] })
  t.same(await tree(dest), ['dangling', 'keep.log', 'main.js', 'run.sh', 'src/', 'src/a.js', 'src/lib/', 'src/lib/b.js'])
})

t.test('copyApp include: only matching files, with their directories', async (t) => {
  const app = await makeApp()
  const dest = fresh()
  const { files } = await copyApp(app, dest, { include: ['src/', 'main.js'] })
  t.same(await tree(dest), ['main.js', 'src/', 'src/a.js', 'src/lib/', 'src/lib/b.js'])
  t.equal(files, 3)
  const both = fresh()
  await copyApp(app, both, { include: ['*.js'], exclude: ['src/lib/'] })
  t.same(await tree(both), ['main.js', 'node_modules/', 'node_modules/x/', 'node_modules/x/index.js', 'src/', 'src/a.js'], 'exclude wins over include')
})

t.test('copyApp keeps empty directories (a bare git repository needs its empty refs/), unless excluded or not included', async (t) => {
  const app = await makeApp()
  await mkdir(join(app, 'vendor/dep.git/refs/heads'), { recursive: true })
  await mkdir(join(app, 'uploads'))
  const dest = fresh()
  await copyApp(app, dest)
  t.same(await tree(dest), await tree(app))
  t.ok((await stat(join(dest, 'vendor/dep.git/refs/heads'))).isDirectory())
  const filtered = fresh()
  await copyApp(app, filtered, { exclude: ['uploads/'] })
  t.notOk((await readdir(filtered)).includes('uploads'), 'an excluded empty directory is left out')
  const included = fresh()
  await copyApp(app, included, { include: ['main.js'] })
  t.same(await tree(included), ['main.js'], 'with an include list only its files (and their directories) count')
})

t.test('copyApp with an empty app gives an empty workspace', async (t) => {
  const app = fresh()
  await mkdir(app)
  const dest = fresh()
  t.same(await copyApp(app, dest), { files: 0 })
  t.same(await readdir(dest), [])
})

t.test('copyApp rejects a missing app dir and a file', async (t) => {
  await t.rejects(copyApp(join(work, 'nope'), fresh()), { code: 'ERR_APP_DIR' })
  const f = join(work, 'a-file')
  await writeFile(f, 'x')
  await t.rejects(copyApp(f, fresh()), { code: 'ERR_APP_DIR' })
  const l = join(work, 'a-link-to-dir')
  await mkdir(join(work, 'real-dir'))
  await symlink(join(work, 'real-dir'), l)
  await t.rejects(copyApp(l, fresh()), { code: 'ERR_APP_DIR' }, 'the app path itself is not followed either')
})

t.test('writePlatformEnv writes raw values; invalid names are usage errors', async (t) => {
  const p = fresh()
  await writePlatformEnv(p, { A: 'x', _B1: 'multi\nline\n', EMPTY: '' })
  t.same((await readdir(join(p, 'env'))).sort(), ['A', 'EMPTY', '_B1'])
  t.equal(await readFile(join(p, 'env/_B1'), 'utf8'), 'multi\nline\n', 'no trailing newline added or removed')
  t.equal(await readFile(join(p, 'env/EMPTY'), 'utf8'), '')
  for (const bad of ['1A', 'A-B', '', 'A=B', '../x', 'A B']) {
    await t.rejects(writePlatformEnv(fresh(), { [bad]: 'v' }), { code: 'ERR_USAGE' }, JSON.stringify(bad))
  }
  const q = fresh()
  await writePlatformEnv(q, {})
  t.same(await readdir(join(q, 'env')), [], 'no vars: env/ still exists')
})

t.test('prepareCnbDirs empties layers and platform; the workspace must be empty unless it is the app', async (t) => {
  const root = fresh()
  const dirs = { root, workspace: join(root, 'workspace'), layers: join(root, 'layers'), platform: join(root, 'platform') }
  const app = await makeApp()
  t.same(await prepareCnbDirs(dirs, app), { copyApp: true }, 'created when missing')
  t.same(await readdir(dirs.platform), ['env'])
  await writeFile(join(dirs.layers, 'stale'), 'x')
  await mkdir(join(dirs.platform, 'env'), { recursive: true })
  await writeFile(join(dirs.platform, 'env', 'OLD'), 'x')
  t.same(await prepareCnbDirs(dirs, app), { copyApp: true })
  t.same(await readdir(dirs.layers), [], 'old build state removed')
  t.same(await readdir(join(dirs.platform, 'env')), [])
  await writeFile(join(dirs.workspace, 'someone-elses'), 'x')
  await t.rejects(prepareCnbDirs(dirs, app), { code: 'ERR_APP_DIR', message: /not empty/ })
  t.equal(await readFile(join(dirs.workspace, 'someone-elses'), 'utf8'), 'x', 'never overwritten')
  t.same(await prepareCnbDirs(dirs, `${dirs.workspace}/.`), { copyApp: false }, 'the app already is the workspace: built in place')
  t.same(await readdir(dirs.workspace), ['someone-elses'])
  await emptyCnbDirs(dirs)
  for (const d of [dirs.workspace, dirs.layers, dirs.platform]) t.same(await readdir(d), [], `${d} emptied`)
  await emptyCnbDirs({ root, workspace: join(root, 'gone'), layers: join(root, 'gone2'), platform: join(root, 'gone3') })
  t.pass('missing dirs are fine')
})
