import t from 'tap'
import { emptyImage } from '../../lib/image/index.js'
import { MediaTypes } from '../../lib/oci/index.js'
import { validateImage } from '../helpers/validate.js'

t.test('empty OCI image', async (t) => {
  const img = emptyImage({ os: 'linux', architecture: 'arm', variant: 'v7' })
  await validateImage(img)
  t.equal(new TextDecoder().decode(await img.rawConfig()),
    '{"architecture":"arm","os":"linux","variant":"v7","config":{},"rootfs":{"type":"layers","diff_ids":[]}}')
  const m = await img.manifest()
  t.equal(m.mediaType, MediaTypes.OCI_MANIFEST)
  t.equal(m.config.mediaType, MediaTypes.OCI_CONFIG)
  t.same(m.layers, [])
  t.same(await img.layers(), [])
  t.equal(await emptyImage({ os: 'linux', architecture: 'arm', variant: 'v7' }).digest(), await img.digest(), 'deterministic')
})

t.test('empty Docker image and os.version', async (t) => {
  const img = emptyImage({ os: 'windows', architecture: 'amd64', 'os.version': '10.0.17763.1' }, 'docker')
  await validateImage(img)
  t.equal(await img.mediaType(), MediaTypes.DOCKER_MANIFEST)
  t.equal((await img.manifest()).config.mediaType, MediaTypes.DOCKER_CONFIG)
  t.equal((await img.config())['os.version'], '10.0.17763.1')
})
