import t from 'tap'
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MAX_RUN_IMAGE_HINTS, RunImageHints } from '../../lib/cli/run-image-hints.js'

let dir: string
t.beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'lading-hints-')) })
t.afterEach(() => rm(dir, { recursive: true, force: true }))

t.test('remembers the run image per app, across processes, writing only when the answer changes', async (t) => {
  const file = join(dir, 'cache', 'run-images.json')
  let now = 1000
  const h = RunImageHints.open(file, () => now)
  t.equal(h.get('r.example/app'), undefined, 'no file: no hints')
  h.set('r.example/app', 'r.example/run:current')
  t.equal((await stat(file)).mode & 0o777, 0o600)
  t.equal((await stat(join(dir, 'cache'))).mode & 0o777, 0o700)
  t.equal(RunImageHints.open(file).get('r.example/app'), 'r.example/run:current', 'read back by the next process')
  const before = (await stat(file)).mtimeMs
  await new Promise((r) => setTimeout(r, 20))
  now = 2000
  h.set('r.example/app', 'r.example/run:current')
  t.equal((await stat(file)).mtimeMs, before, 'the same answer: not written')
  h.set('r.example/app', 'r.example/mirror/run:current')
  t.equal(RunImageHints.open(file).get('r.example/app'), 'r.example/mirror/run:current')
  t.same(JSON.parse(await readFile(file, 'utf8')), { version: 1, apps: { 'r.example/app': { runImage: 'r.example/mirror/run:current', at: 2000 } } })
})

t.test('what another process wrote meanwhile is kept', async (t) => {
  const file = join(dir, 'run-images.json')
  const a = RunImageHints.open(file, () => 10)
  const b = RunImageHints.open(file, () => 20)
  a.set('r/a', 'r/run:1')
  b.set('r/b', 'r/run:2')
  const back = RunImageHints.open(file)
  t.equal(back.get('r/a'), 'r/run:1')
  t.equal(back.get('r/b'), 'r/run:2')
  RunImageHints.open(file, () => 30).set('r/a', 'r/run:3')
  a.set('r/c', 'r/run:1')
  t.equal(RunImageHints.open(file).get('r/a'), 'r/run:3', 'a newer answer is not overwritten by an older one')
})

t.test('bounded: the apps rebased longest ago are forgotten first', async (t) => {
  const file = join(dir, 'run-images.json')
  let now = 0
  const h = RunImageHints.open(file, () => ++now)
  for (let i = 0; i <= MAX_RUN_IMAGE_HINTS; i++) h.set(`r/app${i}`, 'r/run:1')
  const back = RunImageHints.open(file)
  t.equal(back.get('r/app0'), undefined, 'the oldest is gone')
  t.equal(back.get('r/app1'), 'r/run:1')
  t.equal(back.get(`r/app${MAX_RUN_IMAGE_HINTS}`), 'r/run:1')
})

t.test('a damaged or foreign file is no hints; an unwritable dir costs only the hint', async (t) => {
  const file = join(dir, 'run-images.json')
  for (const body of ['{not json', '[]', '{"version":2,"apps":{"a":{"runImage":"x","at":1}}}', '{"version":1,"apps":{"a":{"runImage":7,"at":1},"b":{"runImage":"r/run","at":1}}}']) {
    await writeFile(file, body)
    const h = RunImageHints.open(file)
    t.equal(h.get('a'), undefined, body)
  }
  t.equal(RunImageHints.open(file).get('b'), 'r/run', 'good entries beside a bad one are kept')
  if (process.getuid?.() !== 0) {
    const ro = join(dir, 'ro')
    await mkdir(ro)
    await chmod(ro, 0o500)
    const h = RunImageHints.open(join(ro, 'run-images.json'))
    t.doesNotThrow(() => h.set('a', 'r/run'))
    t.equal(h.get('a'), 'r/run', 'still known to this process')
  }
  const blocked = RunImageHints.open(join(file, 'below-a-file', 'run-images.json'))
  t.doesNotThrow(() => blocked.set('a', 'r/run'), 'a path that cannot be a dir')
})
