import t from 'tap'
import { LABELS, baseImageLabels, isBaseImageLabel } from '../../../lib/platform/index.js'

t.test('label names', async (t) => {
  t.equal(LABELS.LIFECYCLE_METADATA, 'io.buildpacks.lifecycle.metadata')
  t.equal(LABELS.BUILD_METADATA, 'io.buildpacks.build.metadata')
  t.equal(LABELS.PROJECT_METADATA, 'io.buildpacks.project.metadata')
  t.equal(LABELS.CACHE_METADATA, 'io.buildpacks.lifecycle.cache.metadata')
  t.equal(LABELS.BUILDPACK_LAYERS, 'io.buildpacks.buildpack.layers')
  for (const v of Object.values(LABELS)) t.match(v, /^io\.buildpacks\.[a-z.-]+$/)
  t.equal(new Set(Object.values(LABELS)).size, Object.values(LABELS).length, 'no duplicates')
})

t.test('baseImageLabels picks base, stack and rebasable labels', async (t) => {
  const labels = {
    'io.buildpacks.stack.id': 'io.buildpacks.stacks.jammy',
    'org.opencontainers.image.source': 'x',
    'io.buildpacks.base.distro.name': 'ubuntu',
    'io.buildpacks.rebasable': 'true',
    'io.buildpacks.lifecycle.metadata': '{}',
    'io.buildpacks.stack.mixins': '[]',
    'io.buildpacks.basement': 'no',
  }
  t.same(baseImageLabels(labels), {
    'io.buildpacks.base.distro.name': 'ubuntu',
    'io.buildpacks.rebasable': 'true',
    'io.buildpacks.stack.id': 'io.buildpacks.stacks.jammy',
    'io.buildpacks.stack.mixins': '[]',
  })
  t.same(Object.keys(baseImageLabels(labels)), Object.keys(baseImageLabels(labels)).sort())
  t.same(baseImageLabels(null), {})
  t.same(baseImageLabels(undefined), {})
  t.notOk(isBaseImageLabel('io.buildpacks.rebasable'))
  t.ok(isBaseImageLabel('io.buildpacks.base.id'))
})
