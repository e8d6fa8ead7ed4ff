import t from 'tap'
import { rm } from 'node:fs/promises'
import { imageFromParts } from '../../lib/image/index.js'
import { builderOrder, layerByDiffId, LABELS, readDistributionImage, resolveOrder, pickVersion, findFileInLayers } from '../../lib/distribution/index.js'
import { entriesLayer, tmp } from './helpers.js'

let dir: string
t.before(async () => { dir = await tmp('lading-dist-read-') })
t.teardown(() => rm(dir, { recursive: true, force: true }))

const D = (c: string): string => `sha256:${c.repeat(64)}`

t.test('resolveOrder: composites followed, versions picked, missing and cyclic buildpacks named', async (t) => {
  const layers = {
    'acme/suite': { '1.0.0': { api: '0.10', layerDiffID: D('1'), order: [{ group: [{ id: 'acme/a', version: '1.0.0' }, { id: 'acme/b', optional: true }] }] } },
    'acme/a': { '1.0.0': { api: '0.10', layerDiffID: D('2') } },
    'acme/b': { '1.2.0': { api: '0.10', layerDiffID: D('3') }, '1.10.0': { api: '0.10', layerDiffID: D('4') } },
  }
  t.equal(pickVersion(layers, 'acme/b', undefined), '1.10.0', 'highest semver')
  const reached = resolveOrder(layers, [{ group: [{ id: 'acme/suite' }] }], 'img')
  t.same(reached.map((m) => `${m.id}@${m.version}`), ['acme/suite@1.0.0', 'acme/a@1.0.0', 'acme/b@1.10.0'])
  t.throws(() => resolveOrder(layers, [{ group: [{ id: 'acme/zzz', version: '9' }] }], 'img'),
    { code: 'ERR_DISTRIBUTION_ORDER_MISSING_BUILDPACK', message: /img: the order names acme\/zzz@9, which none of its layers holds/ })
  const cyclic = { x: { '1': { api: '0.10', layerDiffID: D('1'), order: [{ group: [{ id: 'y' }] }] } }, y: { '1': { api: '0.10', layerDiffID: D('2'), order: [{ group: [{ id: 'x' }] }] } } }
  t.throws(() => resolveOrder(cyclic, [{ group: [{ id: 'x' }] }], 'img'), { code: 'ERR_DISTRIBUTION_CYCLE', message: /x@1 -> y@1 -> x@1/ })
})

t.test('a builder: labels required; order from the label, else /cnb/order.toml; layer by diffID', async (t) => {
  const bp = await entriesLayer([{ path: '/cnb/buildpacks/a/1/buildpack.toml', type: 'file', content: 'x' }], dir)
  const orderLayer = await entriesLayer([{ path: '/cnb/order.toml', type: 'file', content: '[[order]]\n[[order.group]]\nid = "a"\n' }], dir)
  const layers = { a: { '1': { api: '0.10', layerDiffID: bp.diffIdValue } } }
  const image = imageFromParts({ config: { Labels: { [LABELS.buildpackLayers]: JSON.stringify(layers), [LABELS.builderMetadata]: '{}' } }, layers: [bp, orderLayer] })
  const d = await readDistributionImage(image, 'b', 'builder')
  t.same(await builderOrder(d), [{ group: [{ id: 'a' }] }])
  t.equal(await (await layerByDiffId(d, bp.diffIdValue, 'a')).digest(), bp.digestValue)
  await t.rejects(layerByDiffId(d, D('9'), 'buildpack a@1'), { code: 'ERR_DISTRIBUTION_LAYER_MISSING' })
  t.equal(await findFileInLayers(d, 'cnb/nope'), undefined)
  await t.rejects(readDistributionImage(imageFromParts({}), 'plain', 'builder'), { code: 'ERR_DISTRIBUTION_NOT_A_BUILDER', message: /plain: not a builder: it lacks the io\.buildpacks\.buildpack\.layers label/ })
  await t.rejects(readDistributionImage(image, 'b', 'buildpackage'), { code: 'ERR_DISTRIBUTION_NOT_A_BUILDPACKAGE', message: /lacks the io\.buildpacks\.buildpackage\.metadata label/ })
  const noOrder = imageFromParts({ config: { Labels: { [LABELS.buildpackLayers]: JSON.stringify(layers), [LABELS.builderMetadata]: '{}' } }, layers: [bp] })
  await t.rejects(builderOrder(await readDistributionImage(noOrder, 'b', 'builder')), { code: 'ERR_DISTRIBUTION_NO_ORDER' })
})
