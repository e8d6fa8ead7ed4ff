import t from 'tap'
import { sha256 } from '../../lib/digest/index.js'
import {
  InvalidManifestError, MediaTypes, UnsupportedMediaTypeError, encodeJson, isIndex, parseConfig, parseManifest,
} from '../../lib/oci/index.js'

const D1 = sha256('1')
const D2 = sha256('2')
const enc = (s: string): Uint8Array => new TextEncoder().encode(s)

const manifestBody = (extra: Record<string, unknown> = {}) => ({
  schemaVersion: 2,
  ...extra,
  config: { mediaType: MediaTypes.OCI_CONFIG, digest: D1, size: 10 },
  layers: [{ mediaType: MediaTypes.OCI_LAYER_GZIP, digest: D2, size: 20 }],
})

t.test('digest is over the exact bytes, never re-serialised', async (t) => {
  const text = `{ "schemaVersion": 2,\n  "mediaType": "${MediaTypes.OCI_MANIFEST}", "config": {"mediaType": "${MediaTypes.OCI_CONFIG}", "digest": "${D1}", "size": 10}, "layers": [] }`
  const bytes = enc(text)
  const p = parseManifest(bytes)
  t.equal(p.bytes, bytes)
  t.same(p.descriptor, { mediaType: MediaTypes.OCI_MANIFEST, digest: sha256(text), size: bytes.length })
  t.equal(isIndex(p), false)
})

t.test('media type: body, then content type (parameters ignored), then sniffed', async (t) => {
  const cases: [string, Record<string, unknown>, string | undefined, string][] = [
    ['body wins over header', manifestBody({ mediaType: MediaTypes.DOCKER_MANIFEST }), MediaTypes.OCI_MANIFEST, MediaTypes.DOCKER_MANIFEST],
    ['header with parameters', manifestBody(), `${MediaTypes.OCI_MANIFEST}; charset=utf-8`, MediaTypes.OCI_MANIFEST],
    ['header case', manifestBody(), MediaTypes.DOCKER_MANIFEST.toUpperCase(), MediaTypes.DOCKER_MANIFEST],
    ['sniffed manifest', manifestBody(), undefined, MediaTypes.OCI_MANIFEST],
    ['sniffed docker manifest via config type', { schemaVersion: 2, config: { mediaType: MediaTypes.DOCKER_CONFIG, digest: D1, size: 1 }, layers: [] }, undefined, MediaTypes.DOCKER_MANIFEST],
    ['sniffed index', { schemaVersion: 2, manifests: [] }, undefined, MediaTypes.OCI_INDEX],
    ['generic content type ignored', manifestBody(), 'application/json', MediaTypes.OCI_MANIFEST],
    ['octet-stream ignored', { schemaVersion: 2, manifests: [] }, 'application/octet-stream', MediaTypes.OCI_INDEX],
    ['docker list in body', { schemaVersion: 2, mediaType: MediaTypes.DOCKER_LIST, manifests: [{ mediaType: MediaTypes.DOCKER_MANIFEST, digest: D1, size: 3, platform: { os: 'linux', architecture: 'amd64' } }] }, undefined, MediaTypes.DOCKER_LIST],
  ]
  for (const [name, body, ct, want] of cases) {
    const p = parseManifest(encodeJson(body), ct)
    t.equal(p.descriptor.mediaType, want, name)
    t.equal(isIndex(p), want === MediaTypes.OCI_INDEX || want === MediaTypes.DOCKER_LIST, `${name}: isIndex`)
  }
})

t.test('schema1 is refused clearly', async (t) => {
  const s1 = encodeJson({ schemaVersion: 1, name: 'x', tag: 'y', fsLayers: [] })
  t.throws(() => parseManifest(s1), UnsupportedMediaTypeError)
  t.throws(() => parseManifest(s1, MediaTypes.DOCKER_SCHEMA1_SIGNED), { code: 'ERR_MEDIA_TYPE_UNSUPPORTED', message: /schema1/ })
  t.throws(() => parseManifest(encodeJson(manifestBody()), MediaTypes.DOCKER_SCHEMA1), { message: /schema1/ })
})

t.test('malformed documents name the field', async (t) => {
  const cases: [string, Uint8Array, RegExp, string?][] = [
    ['not json', enc('{nope'), /not valid JSON/],
    ['not utf-8', new Uint8Array([0x7b, 0xff, 0x7d]), /not valid JSON/],
    ['array', enc('[]'), /not a JSON object/],
    ['no shape', encodeJson({ schemaVersion: 2 }), /mediaType: absent/],
    ['schemaVersion', encodeJson({ ...manifestBody(), schemaVersion: 3 }), /schemaVersion: must be 2/],
    ['config missing', encodeJson({ schemaVersion: 2, mediaType: MediaTypes.OCI_MANIFEST, layers: [] }), /config: must be a descriptor/],
    ['layers not array', encodeJson({ schemaVersion: 2, mediaType: MediaTypes.OCI_MANIFEST, config: manifestBody().config, layers: {} }), /layers: must be an array/],
    ['bad layer digest', encodeJson({ ...manifestBody(), layers: [{ mediaType: 'x', digest: 'sha256:abc', size: 1 }] }), /layers\[0\]\.digest/],
    ['negative size', encodeJson({ ...manifestBody(), layers: [{ mediaType: 'x', digest: D1, size: -1 }] }), /layers\[0\]\.size/],
    ['fractional size', encodeJson({ ...manifestBody(), config: { mediaType: 'x', digest: D1, size: 1.5 } }), /config\.size/],
    ['missing mediaType', encodeJson({ ...manifestBody(), config: { digest: D1, size: 1 } }), /config\.mediaType/],
    ['bad annotations', encodeJson({ ...manifestBody(), annotations: { a: 1 } }), /annotations: must be a map of strings/],
    ['bad urls', encodeJson({ ...manifestBody(), layers: [{ mediaType: 'x', digest: D1, size: 1, urls: [1] }] }), /layers\[0\]\.urls/],
    ['index manifests', encodeJson({ schemaVersion: 2, mediaType: MediaTypes.OCI_INDEX, manifests: [{ digest: D1 }] }), /manifests\[0\]\.mediaType/],
    ['index platform', encodeJson({ schemaVersion: 2, manifests: [{ mediaType: 'x', digest: D1, size: 1, platform: { os: 'linux' } }] }), /manifests\[0\]\.platform/],
    ['mediaType not string', encodeJson({ ...manifestBody(), mediaType: 5 }), /mediaType: must be a string/],
  ]
  for (const [name, bytes, re] of cases) {
    t.throws(() => parseManifest(bytes), (InvalidManifestError as unknown) as Error, name)
    t.throws(() => parseManifest(bytes), { code: 'ERR_MANIFEST_INVALID', message: re }, name)
  }
  t.throws(() => parseManifest(encodeJson({ ...manifestBody(), mediaType: 'application/vnd.example+json' })), { code: 'ERR_MEDIA_TYPE_UNSUPPORTED' })
})

t.test('encodeJson is compact and keeps key order', async (t) => {
  t.equal(new TextDecoder().decode(encodeJson({ b: 1, a: [1, { d: 'x', c: null }] })), '{"b":1,"a":[1,{"d":"x","c":null}]}')
})

t.test('parseConfig validates required fields', async (t) => {
  const good = { architecture: 'amd64', os: 'linux', config: null, history: null, rootfs: { type: 'layers', diff_ids: [D1] }, extra: { kept: true } }
  const c = parseConfig(encodeJson(good))
  t.equal(c.architecture, 'amd64')
  t.same(c.rootfs.diff_ids, [D1])
  t.notOk('config' in c, 'null optional field dropped')
  t.notOk('history' in c)
  t.same(c.extra, { kept: true }, 'unknown fields kept')
  t.same(parseConfig(encodeJson({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers' } })).rootfs.diff_ids, [], 'scratch without diff_ids')
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ ...good, architecture: undefined }, /config\.architecture/],
    [{ ...good, os: 1 }, /config\.os/],
    [{ ...good, rootfs: undefined }, /config\.rootfs: is required/],
    [{ ...good, rootfs: { type: 'x', diff_ids: [] } }, /config\.rootfs\.type/],
    [{ ...good, rootfs: { type: 'layers', diff_ids: {} } }, /diff_ids: must be an array/],
    [{ ...good, rootfs: { type: 'layers', diff_ids: [D1, 'nope'] } }, /diff_ids\[1\]/],
    [{ ...good, history: {} }, /config\.history/],
  ]
  for (const [body, re] of bad) t.throws(() => parseConfig(encodeJson(body)), { code: 'ERR_MANIFEST_INVALID', message: re }, String(re))
  t.throws(() => parseConfig(enc('nope')), { code: 'ERR_MANIFEST_INVALID' })
})
