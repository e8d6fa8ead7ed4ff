import t from 'tap'
import { Readable } from 'node:stream'
import { sha256, type Digest } from '../../lib/digest/index.js'
import { LayerNotFoundError, toImage, type Layer } from '../../lib/image/index.js'
import { MediaTypes, encodeJson, type Descriptor } from '../../lib/oci/index.js'

const D = (s: string): Digest => sha256(s)

function fakeLayer(desc: Descriptor, diffId: Digest): Layer {
  return {
    mediaType: desc.mediaType,
    digest: async () => desc.digest,
    diffId: async () => diffId,
    size: async () => desc.size,
    compressed: async () => Readable.from([]),
    uncompressed: async () => Readable.from([]),
  }
}

function core(opts: { diffIds?: Digest[]; index?: boolean; badConfig?: boolean } = {}) {
  const rawConfig = encodeJson({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: opts.diffIds ?? [D('u1'), D('u2')] } })
  const manifest = opts.index
    ? { schemaVersion: 2, mediaType: MediaTypes.OCI_INDEX, manifests: [] }
    : {
        schemaVersion: 2, mediaType: MediaTypes.OCI_MANIFEST,
        config: { mediaType: MediaTypes.OCI_CONFIG, digest: opts.badConfig ? D('other') : sha256(rawConfig), size: rawConfig.length },
        layers: [
          { mediaType: MediaTypes.OCI_LAYER_GZIP, digest: D('c1'), size: 11 },
          { mediaType: MediaTypes.OCI_LAYER_GZIP, digest: D('c2'), size: 22 },
        ],
      }
  const rawManifest = encodeJson(manifest)
  const calls = { manifest: 0, config: 0, layer: 0 }
  return {
    calls, rawManifest, rawConfig,
    core: {
      rawManifest: async () => { calls.manifest++; return rawManifest },
      rawConfig: async () => { calls.config++; return rawConfig },
      layer: (d: Descriptor, diffId: Digest) => { calls.layer++; return fakeLayer(d, diffId) },
    },
  }
}

t.test('derives everything once, lazily', async (t) => {
  const c = core()
  const img = toImage(c.core)
  t.same(c.calls, { manifest: 0, config: 0, layer: 0 }, 'nothing read before use')
  t.equal(await img.digest(), sha256(c.rawManifest))
  t.same(await img.descriptor(), { mediaType: MediaTypes.OCI_MANIFEST, digest: sha256(c.rawManifest), size: c.rawManifest.length })
  t.equal(await img.mediaType(), MediaTypes.OCI_MANIFEST)
  t.equal(await img.rawManifest(), await img.rawManifest())
  t.equal((await img.config()).os, 'linux')
  const layers = await img.layers()
  t.equal(layers.length, 2)
  t.equal(await layers[1]!.diffId(), D('u2'))
  t.equal(await layers[1]!.digest(), D('c2'))
  t.equal(await (await img.layerByDigest(D('c1'))).diffId(), D('u1'))
  t.equal(await (await img.layerByDiffId(D('u2'))).digest(), D('c2'))
  await img.manifest(); await img.config(); await img.layers()
  t.same(c.calls, { manifest: 1, config: 1, layer: 2 }, 'memoised')
})

t.test('errors', async (t) => {
  const img = toImage(core().core)
  await t.rejects(img.layerByDigest(D('nope')), LayerNotFoundError)
  await t.rejects(img.layerByDiffId(D('nope')), { code: 'ERR_LAYER_NOT_FOUND', message: /diffID/ })
  await t.rejects(toImage(core({ diffIds: [D('u1')] }).core).layers(), { code: 'ERR_MANIFEST_INVALID', message: /1 entries but the manifest has 2 layers/ })
  await t.rejects(toImage(core({ index: true }).core).manifest(), { code: 'ERR_MEDIA_TYPE_UNSUPPORTED', message: /index/ })
  await t.rejects(toImage(core({ badConfig: true }).core).config(), { code: 'ERR_DIGEST_MISMATCH' })
})

t.test('a failed read is retried, not memoised', async (t) => {
  const c = core()
  let fail = true
  const img = toImage({ ...c.core, rawManifest: async () => { if (fail) throw new Error('transient'); return c.rawManifest } })
  await t.rejects(img.manifest(), /transient/)
  fail = false
  t.equal((await img.manifest()).layers.length, 2)
})
