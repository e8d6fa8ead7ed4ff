import t from 'tap'
import {
  appendLayers, emptyImage, layerFromBytes, withAnnotations, withConfig, withCreated, withLabels, withMediaTypes,
} from '../../lib/image/index.js'
import { MediaTypes } from '../../lib/oci/index.js'
import { makeTar, randomImage, randomLayer } from '../helpers/random.js'
import { validateImage } from '../helpers/validate.js'

const base = () => emptyImage({ os: 'linux', architecture: 'amd64' })

t.test('appendLayers adds descriptors, diff_ids and history; base unchanged', async (t) => {
  const b = await randomImage(2, 100)
  const before = Buffer.from(await b.rawManifest())
  const beforeConfig = Buffer.from(await b.rawConfig())
  const l = await randomLayer(50)
  const img = appendLayers(b,
    { layer: l, history: { created_by: 'app', empty_layer: true }, annotations: { 'x.y': 'z' } },
    { history: { created_by: 'ENV A=1' } })
  await validateImage(img)
  const m = await img.manifest()
  t.equal(m.layers.length, 3)
  t.same(m.layers[2], { mediaType: MediaTypes.OCI_LAYER_GZIP, digest: await l.digest(), size: await l.size(), annotations: { 'x.y': 'z' } })
  const c = await img.config()
  t.equal(c.rootfs.diff_ids[2], await l.diffId())
  t.same(c.history?.slice(2), [{ created_by: 'app' }, { created_by: 'ENV A=1', empty_layer: true }])
  t.same(Buffer.from(await b.rawManifest()), before, 'base manifest unchanged')
  t.same(Buffer.from(await b.rawConfig()), beforeConfig, 'base config unchanged')
  t.equal((await b.config()).rootfs.diff_ids.length, 2)
  t.equal(await (await img.layerByDiffId(await l.diffId())).digest(), await l.digest())
})

t.test('appendLayers output is deterministic and pads missing history', async (t) => {
  const tar = await makeTar({ f: 'x' })
  const mk = () => appendLayers(base(), { layer: layerFromBytes(tar) }, { layer: layerFromBytes(tar, { gzip: false }) })
  const a = mk()
  t.equal(await a.digest(), await mk().digest())
  t.same((await a.config()).history, [{}, {}])
  // A base whose history lacks layer entries gets `{}` padding so positions keep pairing.
  const noHist = withConfig(a, (c) => { delete c.history; return c })
  const more = appendLayers(noHist, { layer: layerFromBytes(await makeTar({ g: 'y' })), history: { comment: 'top' } })
  t.same((await more.config()).history, [{}, {}, { comment: 'top' }])
  await validateImage(more)
})

t.test('Docker base gives Docker manifest, config and layer types', async (t) => {
  const b = await randomImage(1, 10, { family: 'docker' })
  const img = appendLayers(b, { layer: await randomLayer(10) })
  await validateImage(img)
  const m = await img.manifest()
  t.equal(m.mediaType, MediaTypes.DOCKER_MANIFEST)
  t.equal(m.config.mediaType, MediaTypes.DOCKER_CONFIG)
  t.same(m.layers.map((l) => l.mediaType), [MediaTypes.DOCKER_LAYER_GZIP, MediaTypes.DOCKER_LAYER_GZIP])
  t.equal((await img.layers())[1]!.mediaType, MediaTypes.DOCKER_LAYER_GZIP, 'layer presents the converted type')
  const plain = appendLayers(b, { layer: layerFromBytes(await makeTar({ a: 'b' }), { gzip: false }) })
  await t.rejects(plain.manifest(), { code: 'ERR_MEDIA_TYPE_UNSUPPORTED' })
})

t.test('withMediaTypes converts both ways without touching blobs', async (t) => {
  const oci = await randomImage(2, 10)
  const docker = withMediaTypes(oci, 'docker')
  await validateImage(docker)
  t.equal(await docker.mediaType(), MediaTypes.DOCKER_MANIFEST)
  t.same(await docker.rawConfig(), await oci.rawConfig(), 'config bytes kept')
  t.same((await docker.manifest()).layers.map((l) => l.digest), (await oci.manifest()).layers.map((l) => l.digest))
  const back = withMediaTypes(docker, 'oci')
  await validateImage(back)
  t.equal(await back.digest(), await oci.digest(), 'round trip gives the same manifest bytes')
})

t.test('withConfig, withCreated, withLabels, withAnnotations', async (t) => {
  const b = await randomImage(1, 10)
  const edited = withConfig(b, (c) => { c.config = { ...c.config, Env: ['X=1'] }; return c })
  t.same((await edited.config()).config?.Env, ['X=1'])
  t.notOk((await b.config()).config?.Env, 'edit got a copy')
  await t.rejects(withConfig(b, (c) => ({ ...c, rootfs: { type: 'layers', diff_ids: [] } })).config(), { code: 'ERR_IMAGE_MUTATION_INVALID' })

  const created = withCreated(b, new Date(Date.UTC(2001, 1, 3)))
  t.equal((await created.config()).created, '2001-02-03T00:00:00.000Z')
  t.equal((await withCreated(b, '1980-01-01T00:00:01Z').config()).created, '1980-01-01T00:00:01Z')

  const labelled = withLabels(withLabels(b, { a: '1', b: '2' }), { b: undefined, c: '3' })
  t.same((await labelled.config()).config?.Labels, { a: '1', c: '3' })
  await validateImage(labelled)

  const annotated = withAnnotations(withAnnotations(b, { k: 'v', gone: 'x' }), { gone: undefined })
  t.same((await annotated.manifest()).annotations, { k: 'v' })
  t.same(await annotated.rawConfig(), await b.rawConfig(), 'unchanged config keeps its bytes')
  t.notOk((await withAnnotations(b, {}).manifest()).annotations, 'empty annotations omitted')
})
