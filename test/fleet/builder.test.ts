import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { imageFromParts, layerFromBytes } from '../../lib/image/index.js'
import { openLayout } from '../../lib/layout/index.js'
import { labelBuilders } from '../../lib/fleet/index.js'
import { pushImage } from '../../lib/remote/index.js'
import { layoutOpener } from '../helpers/fleet-layout.js'

t.test('reads buildpacks and run image from the builder labels, once per name; a non-builder is an error', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lading-fleet-builder-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const repo = await openLayout(dir, { create: true })
  const md = { buildpacks: [{ id: 'ex/node', version: '1.2.3' }, { id: 'ex/npm', version: '0.1.0' }], stack: { runImage: { image: 'r/old-run:1' } }, images: [{ image: 'r/run:2' }] }
  const img = imageFromParts({ config: { Labels: { 'io.buildpacks.builder.metadata': JSON.stringify(md), 'io.buildpacks.buildpack.layers': '{}' } }, layers: [layerFromBytes(Buffer.from('b'))] })
  const desc = await pushImage(repo, img, ['builder'])
  await pushImage(repo, imageFromParts({ config: { Labels: {} } }), ['plain'])
  let opens = 0
  const b = labelBuilders(async (n, o) => { opens++; return layoutOpener(n, o) }, { os: 'linux', architecture: 'amd64' })
  const info = await b.read(`oci:${dir}:builder`)
  t.same(info, { image: `oci:${dir}:builder`, digest: desc.digest, buildpacks: md.buildpacks, runImage: 'r/run:2' })
  await b.read(`oci:${dir}:builder`)
  t.equal(opens, 1, 'cached')
  await t.rejects(b.read(`oci:${dir}:plain`), { code: 'ERR_DISTRIBUTION_NOT_A_BUILDER', message: /not a builder/ })
  t.equal(b.prepare, undefined, 'the label reader cannot build')
})
