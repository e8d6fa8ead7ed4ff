import t from 'tap'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { createBuildpackage, fetchModules, readDistributionImage, resolveOrder, type SourceContext } from '../../lib/distribution/index.js'
import { writeComposite, writeShBuildpack } from '../helpers/sh-buildpacks.js'
import { tmp } from './helpers.js'

let dir: string
t.before(async () => { dir = await tmp('lading-dist-fetch-') })
t.teardown(() => rm(dir, { recursive: true, force: true }))

t.test('needed layers are unpacked once by diffID; the next fetch reads none', async (t) => {
  const ctx: SourceContext = { storeDir: join(dir, 'store'), openImage: async () => { throw new Error('no') }, openCnb: async () => { throw new Error('no') } }
  await writeShBuildpack(join(dir, 'a'), 'acme/a', '1.0.0', 'a')
  await writeShBuildpack(join(dir, 'unused'), 'acme/unused', '1.0.0', 'u')
  await writeComposite(join(dir, 'c'), 'acme/c', '1.0.0', [{ id: 'acme/a', version: '1.0.0' }])
  const { image } = await createBuildpackage({ file: 'p', buildpack: { uri: join(dir, 'c') }, dependencies: [{ uri: join(dir, 'a') }, { uri: join(dir, 'unused') }], os: 'linux' }, ctx)
  const d = await readDistributionImage(image, 'pkg', 'buildpackage')
  const modules = resolveOrder(d.layers, [{ group: [{ id: 'acme/c' }] }], 'pkg')
  const cache = join(dir, 'cache')
  const first = await fetchModules(d, modules, cache)
  t.equal(first.stats.layersFetched, 2, 'acme/c and acme/a, not acme/unused')
  t.ok(first.stats.bytesFetched > 0)
  const a = first.store.lookup('acme/a', '1.0.0')
  t.equal(await readFile(join(a.dir, 'data.txt'), 'utf8'), 'a\n')
  const second = await fetchModules(d, modules, cache)
  t.same([second.stats.layersFetched, second.stats.bytesFetched, second.stats.layersCached], [0, 0, 2])
})
