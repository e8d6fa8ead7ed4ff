import t from 'tap'
import { LABELS, mergeModuleLayers, readBuilderMetadata, readBuildpackageMetadata, readModuleLayers, readOrderLabel } from '../../lib/distribution/index.js'

const D = `sha256:${'a'.repeat(64)}`

t.test('layers label: parsed when well formed, an error naming image and label when not', async (t) => {
  const layers = { 'acme/x': { '1.0.0': { api: '0.10', layerDiffID: D, order: [{ group: [{ id: 'acme/y' }] }] } } }
  t.same(readModuleLayers({ [LABELS.buildpackLayers]: JSON.stringify(layers) }, 'img'), layers)
  t.equal(readModuleLayers({}, 'img'), undefined)
  t.throws(() => readModuleLayers({ [LABELS.buildpackLayers]: '{' }, 'img'), { code: 'ERR_DISTRIBUTION_LABEL_INVALID', message: /img: label io\.buildpacks\.buildpack\.layers is not JSON/ })
  t.throws(() => readModuleLayers({ [LABELS.buildpackLayers]: '{"a":{"1":{"layerDiffID":"x"}}}' }, 'img'), { message: /does not have the expected shape/ })
})

t.test('order, builder metadata (defaults filled) and buildpackage metadata', async (t) => {
  t.same(readOrderLabel({ [LABELS.buildpackOrder]: '[{"group":[{"id":"a","optional":true}]}]' }, 'i'), [{ group: [{ id: 'a', optional: true }] }])
  t.equal(readOrderLabel({ [LABELS.buildpackOrder]: 'null' }, 'i'), undefined)
  const md = readBuilderMetadata({ [LABELS.builderMetadata]: '{"stack":{"runImage":{"image":"r"}},"lifecycle":{"version":"0.20.0"}}' }, 'i')!
  t.same(md.stack.runImage, { image: 'r', mirrors: [] })
  t.equal(md.description, '')
  t.same(md.buildpacks, [])
  t.equal(md.lifecycle.version, '0.20.0')
  t.same(readBuildpackageMetadata({ [LABELS.buildpackageMetadata]: '{"id":"a","version":"1"}' }, 'i'), { id: 'a', version: '1' })
})

t.test('merge: later entries of the same id@version win, others are kept', async (t) => {
  const a = { x: { '1': { api: '0.10', layerDiffID: D } } }
  const b = { x: { '2': { api: '0.10', layerDiffID: D } }, y: { '1': { api: '0.9', layerDiffID: D } } }
  t.same(Object.keys(mergeModuleLayers(a, b).x!), ['1', '2'])
})
