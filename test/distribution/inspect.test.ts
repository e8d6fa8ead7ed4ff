import t from 'tap'
import { detectionOrder, inspectBuilder, inspectBuildpackage, LABELS, readDistributionImage } from '../../lib/distribution/index.js'
import { imageFromParts } from '../../lib/image/index.js'

const D = (c: string): string => `sha256:${c.repeat(64)}`
const layers = {
  'acme/suite': { '1.0.0': { api: '0.10', layerDiffID: D('1'), order: [{ group: [{ id: 'acme/a', version: '1.0.0' }, { id: 'acme/b', version: '1.0.0', optional: true }] }, { group: [{ id: 'acme/b', version: '1.0.0' }] }] } },
  'acme/a': { '1.0.0': { api: '0.10', layerDiffID: D('2'), name: 'A', homepage: 'https://a' } },
  'acme/b': { '1.0.0': { api: '0.10', layerDiffID: D('3') } },
}

t.test("detection order in pack's shape: a composite becomes one entry per group; cycles are marked", async (t) => {
  t.same(detectionOrder(layers, [{ group: [{ id: 'acme/suite', version: '1.0.0' }] }]), [{ buildpacks: [
    { id: 'acme/suite', version: '1.0.0', buildpacks: [{ id: 'acme/a', version: '1.0.0' }, { id: 'acme/b', version: '1.0.0', optional: true }] },
    { id: 'acme/suite', version: '1.0.0', buildpacks: [{ id: 'acme/b', version: '1.0.0' }] },
  ] }])
  const loop = { x: { '1': { api: '0.10', layerDiffID: D('1'), order: [{ group: [{ id: 'x', version: '1' }] }] } } }
  t.same(detectionOrder(loop, [{ group: [{ id: 'x', version: '1' }] }]), [{ buildpacks: [{ id: 'x', version: '1', buildpacks: [{ id: 'x', version: '1', cyclic: true }] }] }])
})

t.test("builder and buildpackage inspection data in pack's schema", async (t) => {
  const md = { description: 'desc', buildpacks: [{ id: 'acme/a', version: '1.0.0' }], stack: { runImage: { image: 'r', mirrors: ['m'] } }, lifecycle: { version: '0.20.9', apis: { buildpack: { deprecated: [], supported: ['0.10'] }, platform: { deprecated: [], supported: ['0.13'] } } }, createdBy: { name: 'lading', version: '0.1.0' } }
  const image = imageFromParts({ config: { Env: ['CNB_STACK_ID=s'], Labels: { [LABELS.buildpackLayers]: JSON.stringify(layers), [LABELS.builderMetadata]: JSON.stringify(md), [LABELS.buildpackOrder]: '[{"group":[{"id":"acme/a"}]}]' } } })
  const out = await inspectBuilder(await readDistributionImage(image, 'b', 'builder'), true)
  t.same(out, {
    builder_name: 'b', trusted: false, default: true, local_info: null,
    remote_info: {
      description: 'desc', created_by: { name: 'lading', version: '0.1.0' }, stack: { id: 's' },
      lifecycle: { version: '0.20.9', buildpack_apis: { deprecated: [], supported: ['0.10'] }, platform_apis: { deprecated: [], supported: ['0.13'] } },
      run_images: [{ name: 'r' }, { name: 'm' }], buildpacks: [{ id: 'acme/a', version: '1.0.0' }], detection_order: [{ buildpacks: [{ id: 'acme/a' }] }],
    },
  })
  const pkg = imageFromParts({ config: { Labels: { [LABELS.buildpackLayers]: JSON.stringify(layers), [LABELS.buildpackageMetadata]: '{"id":"acme/suite","version":"1.0.0"}' } } })
  const p = inspectBuildpackage(await readDistributionImage(pkg, 'p', 'buildpackage'))
  t.equal(p.buildpack_name, 'acme/suite@1.0.0')
  t.same(p.buildpacks[0], { id: 'acme/a', name: 'A', version: '1.0.0', homepage: 'https://a' })
  t.equal(p.detection_order.length, 1)
})

t.test('a builder without a lifecycle says so and says what to add', async (t) => {
  const image = imageFromParts({ config: { Labels: { [LABELS.buildpackLayers]: '{}', [LABELS.builderMetadata]: '{"lifecycle":{"note":"x"}}', [LABELS.buildpackOrder]: '[]' } } })
  const out = await inspectBuilder(await readDistributionImage(image, 'b', 'builder'), false)
  t.equal(out.remote_info.lifecycle.version, null)
  t.match(out.lifecycle_note, /no lifecycle binaries.*\[lifecycle\] uri/)
})
