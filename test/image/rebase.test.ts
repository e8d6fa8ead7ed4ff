import t from 'tap'
import { appendLayers, emptyImage, rebase, withConfig, type Image } from '../../lib/image/index.js'
import { randomLayer } from '../helpers/random.js'
import { validateImage } from '../helpers/validate.js'

async function baseImage(n: number, platform = { os: 'linux', architecture: 'amd64' }, family: 'oci' | 'docker' = 'oci'): Promise<Image> {
  let img = emptyImage(platform, family)
  for (let i = 0; i < n; i++) img = appendLayers(img, { layer: await randomLayer(20), history: { created_by: `base ${i}` } })
  return appendLayers(img, { history: { created_by: 'CMD base' } })
}

async function appOn(base: Image): Promise<Image> {
  const img = appendLayers(base,
    { history: { created_by: 'ENV app' } },
    { layer: await randomLayer(20), history: { created_by: 'app 0' } },
    { layer: await randomLayer(20), history: { created_by: 'app 1' } })
  return withConfig(img, (c) => ({ ...c, config: { ...c.config, Env: ['APP=1'] }, author: 'me' }))
}

t.test('rebase onto a new base (old base as image)', async (t) => {
  const oldBase = await baseImage(2)
  const app = await appOn(oldBase)
  const newBase = await baseImage(3, { os: 'linux', architecture: 'arm64', variant: 'v8' } as never, 'docker')
  const out = await rebase(app, oldBase, newBase)
  await validateImage(out)
  const [c, appC, nbC] = await Promise.all([out.config(), app.config(), newBase.config()])
  t.same(c.rootfs.diff_ids, [...nbC.rootfs.diff_ids, ...appC.rootfs.diff_ids.slice(2)])
  t.same(c.history?.map((h) => h.created_by), ['base 0', 'base 1', 'base 2', 'CMD base', 'ENV app', 'app 0', 'app 1'])
  t.equal(c.architecture, 'arm64')
  t.equal(c.variant, 'v8')
  t.same(c.config?.Env, ['APP=1'])
  t.equal(c.author, 'me')
  const [m, appM, nbM] = await Promise.all([out.manifest(), app.manifest(), newBase.manifest()])
  t.equal(m.mediaType, appM.mediaType, 'family of the image kept')
  t.same(m.layers.map((l) => l.digest), [...nbM.layers.map((l) => l.digest), ...appM.layers.slice(2).map((l) => l.digest)])
})

t.test('rebase by top layer diffID drops variant the new base lacks', async (t) => {
  const oldBase = await baseImage(2, { os: 'linux', architecture: 'arm', variant: 'v7' } as never)
  const app = await appOn(oldBase)
  const top = (await oldBase.config()).rootfs.diff_ids[1]!
  const newBase = await baseImage(1)
  const out = await rebase(app, { topLayerDiffId: top }, newBase)
  await validateImage(out)
  const c = await out.config()
  t.equal(c.rootfs.diff_ids.length, 3)
  t.notOk('variant' in c)
  t.equal(c.architecture, 'amd64')
  // Split after the 2nd layer entry: old base's trailing CMD entry stays with the image part.
  t.same(c.history?.map((h) => h.created_by), ['base 0', 'CMD base', 'CMD base', 'ENV app', 'app 0', 'app 1'])
})

t.test('rebase is deterministic and never changes its inputs', async (t) => {
  const oldBase = await baseImage(1)
  const app = await appOn(oldBase)
  const newBase = await baseImage(1)
  const before = await app.digest()
  const a = await rebase(app, oldBase, newBase)
  const b = await rebase(app, oldBase, newBase)
  t.equal(await a.digest(), await b.digest())
  t.equal(await app.digest(), before)
  t.not(await a.digest(), before)
  const same = await rebase(app, oldBase, oldBase)
  t.equal(await same.digest(), before, 'rebasing onto the same base gives the same image')
})

t.test('not based on', async (t) => {
  const oldBase = await baseImage(2)
  const app = await appOn(oldBase)
  const other = await baseImage(2)
  const newBase = await baseImage(1)
  await t.rejects(rebase(app, other, newBase), { code: 'ERR_IMAGE_NOT_BASED_ON', message: /layer 0 differs: old base has sha256:\w+, image has sha256:\w+/ })
  await t.rejects(rebase(app, { topLayerDiffId: (await other.config()).rootfs.diff_ids[0]! }, newBase), { code: 'ERR_IMAGE_NOT_BASED_ON', message: /is not among the image's 4 layers/ })
  await t.rejects(rebase(oldBase, app, newBase), { message: /old base has 4 layers, the image only 2/ })
})

t.test('history without entries is padded', async (t) => {
  const oldBase = await baseImage(1)
  const app = withConfig(await appOn(oldBase), (c) => { delete c.history; return c })
  const out = await rebase(app, oldBase, await baseImage(1))
  await validateImage(out)
  t.same((await out.config()).history?.map((h) => h.created_by), ['base 0', 'CMD base', undefined, undefined])
})

t.test('an edit passed to rebase gives the bytes withConfig on top gives', async (t) => {
  const oldBase = await baseImage(2)
  const app = await appOn(oldBase)
  const newBase = await baseImage(3, { os: 'linux', architecture: 'arm64', variant: 'v8' } as never, 'docker')
  const edit = (c: import('../../lib/oci/index.js').ImageConfig) => ({ ...c, created: '1980-01-01T00:00:01Z', config: { ...c.config, Labels: { a: 'b' } } })
  const direct = await rebase(app, { topLayerDiffId: (await oldBase.config()).rootfs.diff_ids.at(-1)! }, newBase, edit)
  const onTop = withConfig(await rebase(app, { topLayerDiffId: (await oldBase.config()).rootfs.diff_ids.at(-1)! }, newBase), edit)
  await validateImage(direct)
  t.equal(await direct.digest(), await onTop.digest())
  t.same(Buffer.from(await direct.rawConfig()), Buffer.from(await onTop.rawConfig()))
  t.same((await app.config()).config?.Labels, undefined, 'the input image is untouched')
})
