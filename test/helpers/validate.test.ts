import t from 'tap'
import { Readable } from 'node:stream'
import { appendLayers, imageFromComputedParts, partsOf, withConfig, type Layer } from '../../lib/image/index.js'
import { MediaTypes } from '../../lib/oci/index.js'
import { randomImage, randomLayer } from './random.js'
import { validateImage } from './validate.js'

t.test('accepts random images of both families', async (t) => {
  await validateImage(await randomImage(3, 500))
  await validateImage(await randomImage(2, 10, { family: 'docker' }))
})

t.test('catches a layer whose bytes do not match', async (t) => {
  const good = await randomLayer(100)
  const liar: Layer = { ...good, compressed: async () => Readable.from([Buffer.from('not the layer')]) }
  await t.rejects(validateImage(appendLayers(await randomImage(0, 0), { layer: liar })), { message: /layer 0 \(sha256:\w+\): stored bytes hash to/ })
  const badTar: Layer = { ...good, uncompressed: async () => Readable.from([Buffer.from('x')]) }
  await t.rejects(validateImage(appendLayers(await randomImage(0, 0), { layer: badTar })), { message: /uncompressed\(\) hashes to/ })
})

t.test('catches history count and family mixing', async (t) => {
  const img = await randomImage(2, 10)
  await t.rejects(validateImage(withConfig(img, (c) => ({ ...c, history: [{}] }))), { message: /1 non-empty history entries for 2 layers/ })
  const mixed = imageFromComputedParts(async () => {
    const p = await partsOf(img)
    return { ...p, layers: p.layers.map((l) => ({ ...l, descriptor: { ...l.descriptor, mediaType: 'application/x-custom' } })) }
  })
  await t.rejects(validateImage(mixed), { message: /layer 0 .*: oci manifest has layer type application\/x-custom/ })
  t.equal(MediaTypes.OCI_LAYER_GZIP, (await img.layers())[0]!.mediaType)
})
