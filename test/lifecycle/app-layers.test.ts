import t from 'tap'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import tar from 'tar-stream'
import type { Layer } from '../../lib/image/index.js'
import { appLayers } from '../../lib/lifecycle/app-layers.js'

let work: string
let ws: string
t.before(async () => {
  work = await mkdtemp(join(tmpdir(), 'lading-app-'))
  ws = join(work, 'ws')
  for (const d of ['static/css', 'static/img', 'src', '.hidden']) await mkdir(join(ws, d), { recursive: true })
  for (const f of ['static/index.html', 'static/css/a.css', 'static/img/x.png', 'src/main.js', 'src/util.js', 'README.md', '.hidden/secret', '.env']) {
    await writeFile(join(ws, f), f)
  }
  await symlink('src/main.js', join(ws, 'main-link'))
})
t.teardown(() => rm(work, { recursive: true, force: true }))

const opts = () => ({ uid: 1000, gid: 1001, storeDir: join(work, 'store') })

/** Entry names of a layer (no trailing slash), with their owner. */
async function entries(layer: Layer): Promise<{ names: string[]; owners: Set<string> }> {
  const names: string[] = []
  const owners = new Set<string>()
  const x = tar.extract()
  x.on('entry', (h, s, next) => {
    names.push(h.name.replace(/\/$/, ''))
    owners.add(`${h.uid}:${h.gid}`)
    s.on('end', next)
    s.resume()
  })
  await pipeline(await layer.uncompressed(), x)
  return { names, owners }
}
const files = async (layer: Layer): Promise<string[]> => (await entries(layer)).names
  .filter((n) => n.startsWith('workspace/') && !['workspace/static', 'workspace/static/css', 'workspace/static/img', 'workspace/src', 'workspace/.hidden'].includes(n))
  .map((n) => n.slice('workspace/'.length))

t.test('no slices: one "Application Layer" with the whole workspace at /workspace, owned by the build user', async (t) => {
  const out = await appLayers(ws, [], opts())
  t.equal(out.length, 1)
  t.equal(out[0]!.createdBy, 'Application Layer')
  const { names, owners } = await entries(out[0]!.layer)
  t.equal(names[0], 'workspace')
  t.same(owners, new Set(['1000:1001']))
  t.same((await files(out[0]!.layer)).sort(), ['.env', '.hidden/secret', 'README.md', 'main-link', 'src/main.js', 'src/util.js', 'static/css/a.css', 'static/img/x.png', 'static/index.html'])
  t.equal((await appLayers(ws, [], opts()))[0]!.layer.diffIdValue, out[0]!.layer.diffIdValue, 'deterministic')
})

t.test('slices: in order, earlier slices take files first, then the remainder', async (t) => {
  const out = await appLayers(ws, [{ paths: ['static/**/*.css', 'README.md'] }, { paths: ['static/**'] }, { paths: ['./src/main.js'] }], opts())
  t.same(out.map((a) => a.createdBy), ['Application Slice: 1', 'Application Slice: 2', 'Application Slice: 3', 'Application Slice: 4'])
  t.same(await files(out[0]!.layer), ['README.md', 'static/css/a.css'])
  t.same(await files(out[1]!.layer), ['static/img/x.png', 'static/index.html'], 'a.css is not repeated')
  t.same(await files(out[2]!.layer), ['src/main.js'], 'a leading ./ is accepted')
  t.same(await files(out[3]!.layer), ['.env', '.hidden/secret', 'main-link', 'src/util.js'], 'remainder, dotfiles included')
  const names1 = (await entries(out[0]!.layer)).names
  t.ok(names1.includes('workspace/static') && names1.includes('workspace/static/css'), 'ancestor dirs kept')
  t.notOk(names1.includes('workspace/src'), 'no unrelated dirs')
})

t.test('a slice matching nothing still gives a layer; a slice may take a symlink or a dotfile', async (t) => {
  const out = await appLayers(ws, [{ paths: ['nothing/**'] }, { paths: ['main-link', '.hidden/*'] }], opts())
  t.equal(out.length, 3)
  t.same(await files(out[0]!.layer), [])
  t.same((await entries(out[0]!.layer)).names, ['workspace'], 'just the workspace dir')
  t.same(await files(out[1]!.layer), ['.hidden/secret', 'main-link'])
  t.notOk((await files(out[2]!.layer)).includes('main-link'))
  const all = await appLayers(ws, [{ paths: ['**'] }], opts())
  t.same(await files(all[1]!.layer), [], 'everything taken: the remainder is empty but present')
})

t.test('a fixed mtime changes nothing about which files go where', async (t) => {
  const a = await appLayers(ws, [{ paths: ['src/*'] }], { ...opts(), mtime: new Date('2001-01-01T00:00:00Z') })
  const b = await appLayers(ws, [{ paths: ['src/*'] }], opts())
  t.same(await files(a[0]!.layer), await files(b[0]!.layer))
  t.not(a[0]!.layer.diffIdValue, b[0]!.layer.diffIdValue, 'but the tar headers differ')
})
