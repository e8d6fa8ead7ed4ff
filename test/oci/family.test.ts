import t from 'tap'
import { MediaTypes, configTypeOf, familyOf, layerTypeFor, manifestTypeOf } from '../../lib/oci/index.js'

t.test('family of manifest types', async (t) => {
  t.equal(familyOf(MediaTypes.DOCKER_MANIFEST), 'docker')
  t.equal(familyOf(MediaTypes.DOCKER_LIST), 'docker')
  t.equal(familyOf(MediaTypes.OCI_MANIFEST), 'oci')
  t.equal(familyOf(undefined), 'oci')
  t.equal(manifestTypeOf('docker'), MediaTypes.DOCKER_MANIFEST)
  t.equal(configTypeOf('oci'), MediaTypes.OCI_CONFIG)
  t.equal(configTypeOf('docker'), MediaTypes.DOCKER_CONFIG)
})

t.test('layer types convert between families', async (t) => {
  const cases: [string, 'oci' | 'docker', string | null][] = [
    [MediaTypes.OCI_LAYER_GZIP, 'docker', MediaTypes.DOCKER_LAYER_GZIP],
    [MediaTypes.DOCKER_LAYER_GZIP, 'oci', MediaTypes.OCI_LAYER_GZIP],
    [MediaTypes.OCI_LAYER_NONDIST_GZIP, 'docker', MediaTypes.DOCKER_FOREIGN_LAYER_GZIP],
    [MediaTypes.DOCKER_FOREIGN_LAYER_GZIP, 'oci', MediaTypes.OCI_LAYER_NONDIST_GZIP],
    [MediaTypes.DOCKER_LAYER_GZIP, 'docker', MediaTypes.DOCKER_LAYER_GZIP],
    [MediaTypes.OCI_LAYER, 'oci', MediaTypes.OCI_LAYER],
    [MediaTypes.OCI_LAYER_ZSTD, 'oci', MediaTypes.OCI_LAYER_ZSTD],
    ['application/x-unknown', 'oci', 'application/x-unknown'],
    [MediaTypes.OCI_LAYER, 'docker', null],
    [MediaTypes.OCI_LAYER_ZSTD, 'docker', null],
  ]
  for (const [mt, fam, want] of cases) {
    if (want === null) t.throws(() => layerTypeFor(mt, fam), { code: 'ERR_MEDIA_TYPE_UNSUPPORTED' }, `${mt} → ${fam}`)
    else t.equal(layerTypeFor(mt, fam), want, `${mt} → ${fam}`)
  }
})
