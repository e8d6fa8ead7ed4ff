import t from 'tap'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { collectLayers, createBuildpackage, LABELS, sortLayers, type SourceContext } from '../../lib/distribution/index.js'
import { writeComposite, writeShBuildpack } from '../helpers/sh-buildpacks.js'
import { tmp } from './helpers.js'

let dir: string
let ctx: SourceContext
t.before(async () => {
  dir = await tmp('lading-dist-pkg-')
  ctx = { storeDir: join(dir, 'store'), openImage: async () => { throw new Error('no') }, openCnb: async () => { throw new Error('no') } }
  await writeShBuildpack(join(dir, 'a'), 'acme/a', '1.0.0', 'a')
  await writeComposite(join(dir, 'c'), 'acme/c', '1.0.0', [{ id: 'acme/a', version: '1.0.0' }])
})
t.teardown(() => rm(dir, { recursive: true, force: true }))

t.test('a composite with its dependency: labels as pack writes them, one layer each, same digest every time', async (t) => {
  const cfg = { file: 'package.toml', buildpack: { uri: join(dir, 'c') }, dependencies: [{ uri: join(dir, 'a') }], os: 'linux' }
  const { image, top } = await createBuildpackage(cfg, ctx)
  t.same(top, { id: 'acme/c', version: '1.0.0' })
  const c = await image.config()
  t.equal(c.created, '1980-01-01T00:00:01Z')
  t.same(JSON.parse(c.config!.Labels![LABELS.buildpackageMetadata]!), { id: 'acme/c', version: '1.0.0', stacks: [] })
  const layers = JSON.parse(c.config!.Labels![LABELS.buildpackLayers]!)
  t.same(Object.keys(layers), ['acme/a', 'acme/c'])
  t.same(c.rootfs.diff_ids, [layers['acme/a']['1.0.0'].layerDiffID, layers['acme/c']['1.0.0'].layerDiffID], 'dependencies first')
  const again = await createBuildpackage(cfg, ctx)
  t.equal(await again.image.digest(), await image.digest())
})

t.test('a composite whose dependency is missing is refused', async (t) => {
  await t.rejects(createBuildpackage({ file: 'package.toml', buildpack: { uri: join(dir, 'c') }, dependencies: [], os: 'linux' }, ctx),
    { code: 'ERR_DISTRIBUTION_ORDER_MISSING_BUILDPACK', message: /package\.toml: the order of acme\/c@1\.0\.0 names acme\/a@1\.0\.0/ })
})

t.test('helpers: layers collected once per diffID; label keys sorted', async (t) => {
  const D = `sha256:${'1'.repeat(64)}`
  const layer = {} as never
  const s = { source: 's', top: { id: 'a', version: '1' }, infos: [], layers: { a: { '1': { api: '0.10', layerDiffID: D } } }, byDiffId: new Map([[D, layer]]) }
  t.equal(collectLayers([s, s]).list.length, 1)
  t.same(Object.keys(sortLayers({ b: {}, a: {} })), ['a', 'b'])
})
