import t from 'tap'
import {
  MediaTypes, MANIFEST_ACCEPT, isIndexType, isImageManifestType, isSchema1Type, isForeignLayerType, isGzipLayerType,
  isUncompressedLayerType,
} from '../../lib/oci/index.js'

t.test('the Accept list names all four manifest kinds (distribution 404s OCI types otherwise)', async (t) => {
  t.same([...MANIFEST_ACCEPT].sort(), [MediaTypes.DOCKER_LIST, MediaTypes.DOCKER_MANIFEST, MediaTypes.OCI_INDEX, MediaTypes.OCI_MANIFEST].sort())
})

t.test('classifies media types', async (t) => {
  t.ok(isIndexType(MediaTypes.OCI_INDEX) && isIndexType(MediaTypes.DOCKER_LIST))
  t.notOk(isIndexType(MediaTypes.OCI_MANIFEST))
  t.ok(isImageManifestType(MediaTypes.DOCKER_MANIFEST) && isImageManifestType(MediaTypes.OCI_MANIFEST))
  t.notOk(isImageManifestType(undefined))
  t.ok(isSchema1Type(MediaTypes.DOCKER_SCHEMA1_SIGNED))
  t.ok(isForeignLayerType(MediaTypes.DOCKER_FOREIGN_LAYER_GZIP) && isForeignLayerType(MediaTypes.OCI_LAYER_NONDIST_ZSTD))
  t.notOk(isForeignLayerType(MediaTypes.OCI_LAYER_GZIP))
  t.ok(isGzipLayerType(MediaTypes.DOCKER_LAYER_GZIP) && isGzipLayerType(MediaTypes.OCI_LAYER_GZIP))
  t.notOk(isGzipLayerType(MediaTypes.OCI_LAYER_ZSTD))
  t.ok(isUncompressedLayerType(MediaTypes.OCI_LAYER))
  t.notOk(isUncompressedLayerType(MediaTypes.OCI_LAYER_GZIP))
})
