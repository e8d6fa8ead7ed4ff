import t from 'tap'
import { gunzipSync } from 'node:zlib'
import { sha256 } from '../../lib/digest/index.js'
import { imageFromParts, layerFromBytes } from '../../lib/image/index.js'
import { MediaTypes } from '../../lib/oci/index.js'
import { hashStream, validateImage } from '../helpers/validate.js'
import { makeTar } from '../helpers/random.js'

t.test('layerFromBytes: gzip (default) and plain', async (t) => {
  const tar = await makeTar({ 'a.txt': 'hello' })
  const gz = layerFromBytes(tar)
  t.equal(gz.mediaType, MediaTypes.OCI_LAYER_GZIP)
  t.equal(await gz.diffId(), sha256(tar))
  const stored = await hashStream(await gz.compressed())
  t.same(stored, { digest: await gz.digest(), size: await gz.size() })
  t.same(await hashStream(await gz.compressed()), stored, 'streams can be opened again')
  t.equal((await hashStream(await gz.uncompressed())).digest, sha256(tar))
  t.equal(layerFromBytes(tar).digest.toString().length > 0, true)
  t.equal(await layerFromBytes(tar).digest(), await gz.digest(), 'deterministic gzip')
  const chunks: Buffer[] = []
  for await (const c of await gz.compressed()) chunks.push(c as Buffer)
  const gzBytes = Buffer.concat(chunks)
  t.equal(gzBytes.readUInt32LE(4), 0, 'gzip mtime is 0')
  t.equal(gzBytes[3]! & 0x08, 0, 'no file name in the gzip header')
  t.same(gunzipSync(gzBytes), tar)

  const plain = layerFromBytes(tar, { gzip: false })
  t.equal(plain.mediaType, MediaTypes.OCI_LAYER)
  t.equal(await plain.digest(), sha256(tar))
  t.equal(await plain.diffId(), sha256(tar))
  t.equal(await plain.size(), tar.length)
})

t.test('imageFromParts builds a valid image', async (t) => {
  const l1 = layerFromBytes(await makeTar({ a: '1' }))
  const l2 = layerFromBytes(await makeTar({ b: '2' }), { gzip: false })
  const img = imageFromParts({
    platform: { os: 'linux', architecture: 'arm64' },
    config: { Env: ['A=1'], Cmd: ['/bin/sh'] },
    created: '2020-01-01T00:00:00Z',
    layers: [l1, { layer: l2, history: { created_by: 'two' } }],
  })
  await validateImage(img)
  const c = await img.config()
  t.equal(c.architecture, 'arm64')
  t.equal(c.created, '2020-01-01T00:00:00Z')
  t.same(c.config, { Env: ['A=1'], Cmd: ['/bin/sh'] })
  t.same(c.history, [{}, { created_by: 'two' }])
  t.same(c.rootfs.diff_ids, [await l1.diffId(), await l2.diffId()])
  const again = imageFromParts({
    platform: { os: 'linux', architecture: 'arm64' }, config: { Env: ['A=1'], Cmd: ['/bin/sh'] }, created: '2020-01-01T00:00:00Z',
    layers: [l1, { layer: l2, history: { created_by: 'two' } }],
  })
  t.equal(await again.digest(), await img.digest(), 'deterministic')
  t.equal((await imageFromParts().config()).architecture, 'amd64', 'default platform')
})
