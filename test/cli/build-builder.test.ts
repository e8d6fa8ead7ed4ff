import t from 'tap'
import { createBuildpackStore } from '../../lib/buildpack/index.js'
import { externalBuildpack, NO_BUILDPACKS } from '../../lib/cli/build-builder.js'
import { CommandContext } from '../../lib/cli/context.js'
import { Output } from '../../lib/cli/output.js'
import { PassThrough } from 'node:stream'

const ctx = new CommandContext(new Output({ stdout: new PassThrough(), stderr: new PassThrough() }, {}), { insecureRegistries: [], caCerts: [], quiet: true, json: false, help: false, version: false, verbose: false })
const stats = { layersFetched: 0, bytesFetched: 0, layersCached: 0, layers: [] }

t.test('directory and ID forms are left to chooseBuildpacks; urn:cnb:builder needs a builder', async (t) => {
  t.equal(await externalBuildpack(ctx, './buildpacks/node', createBuildpackStore(), undefined, stats), undefined)
  t.equal(await externalBuildpack(ctx, 'acme/node@1.0.0', createBuildpackStore(), undefined, stats), undefined)
  await t.rejects(externalBuildpack(ctx, 'urn:cnb:builder:acme/node', createBuildpackStore(), undefined, stats), { code: 'ERR_USAGE', message: /pass --builder REF/ })
})

t.test('a build with no buildpacks says exactly what to pass', async (t) => {
  t.match(NO_BUILDPACKS, /--builder REF/)
  t.match(NO_BUILDPACKS, /lading config default-builder REF/)
  t.match(NO_BUILDPACKS, /--buildpack/)
})
