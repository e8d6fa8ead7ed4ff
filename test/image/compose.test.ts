import t from 'tap'
import { imageFromComputedParts, layerDescriptor, layerFromBytes, withMediaType, type Layer } from '../../lib/image/index.js'
import { MediaTypes } from '../../lib/oci/index.js'
import { makeTar } from '../helpers/random.js'

t.test('imageFromComputedParts serialises in fixed key order', async (t) => {
  const layer = layerFromBytes(await makeTar({ a: '1' }))
  const descriptor = await layerDescriptor(layer, { note: 'x' })
  const img = imageFromComputedParts(async () => ({
    family: 'oci',
    config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [await layer.diffId()] }, history: [{}] },
    layers: [{ descriptor, layer }],
    annotations: { z: '1' },
  }))
  const text = new TextDecoder().decode(await img.rawManifest())
  t.match(text, /^\{"schemaVersion":2,"mediaType":"application\/vnd\.oci\.image\.manifest\.v1\+json","config":\{"mediaType":"[^"]+","digest":"sha256:\w+","size":\d+\},"layers":\[\{"mediaType":"[^"]+","digest":"sha256:\w+","size":\d+,"annotations":\{"note":"x"\}\}\],"annotations":\{"z":"1"\}\}$/)
  const bad = imageFromComputedParts(async () => ({ family: 'oci', config: { architecture: 'a', os: 'b', rootfs: { type: 'layers', diff_ids: [] } }, layers: [{ descriptor, layer }] }))
  await t.rejects(bad.rawManifest(), { code: 'ERR_IMAGE_MUTATION_INVALID' })
})

t.test('layerDescriptor carries extras; withMediaType delegates', async (t) => {
  const inner = layerFromBytes(await makeTar({ a: '1' }))
  const foreign: Layer = { ...inner, descriptorExtras: () => ({ urls: ['https://example.invalid/x'], annotations: { a: '1' } }), sources: () => ['r/x'] }
  const d = await layerDescriptor(foreign, { b: '2' })
  t.same(d, { mediaType: MediaTypes.OCI_LAYER_GZIP, digest: await inner.digest(), size: await inner.size(), urls: ['https://example.invalid/x'], annotations: { a: '1', b: '2' } })
  const w = withMediaType(foreign, MediaTypes.DOCKER_LAYER_GZIP)
  t.equal(w.mediaType, MediaTypes.DOCKER_LAYER_GZIP)
  t.equal(await w.diffId(), await inner.diffId())
  t.same(w.sources?.(), ['r/x'])
  t.equal(withMediaType(foreign, MediaTypes.OCI_LAYER_GZIP), foreign)
})
