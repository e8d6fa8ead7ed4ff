import t from 'tap'
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { createBuildpackage, readModuleSource, type SourceContext } from '../../lib/distribution/index.js'
import type { Image } from '../../lib/image/index.js'
import { writeComposite, writeShBuildpack } from '../helpers/sh-buildpacks.js'
import { tmp } from './helpers.js'

let dir: string
let ctx: SourceContext
const images = new Map<string, Image>()
t.before(async () => {
  dir = await tmp('lading-dist-sources-')
  ctx = { storeDir: join(dir, 'store'), openImage: async (ref) => images.get(ref)!, openCnb: async (f) => images.get(f)! }
})
t.teardown(() => rm(dir, { recursive: true, force: true }))

t.test('a directory: one new layer; a buildpackage image: every buildpack it holds, layers reused', async (t) => {
  await writeShBuildpack(join(dir, 'a'), 'acme/a', '1.0.0', 'a')
  await writeComposite(join(dir, 'c'), 'acme/c', '1.0.0', [{ id: 'acme/a', version: '1.0.0' }])
  const fromDir = await readModuleSource(join(dir, 'a'), ctx, 'x')
  t.same(fromDir.top, { id: 'acme/a', version: '1.0.0', homepage: 'https://example.test/acme/a', name: 'acme/a (test)' })
  t.equal(fromDir.byDiffId.size, 1)
  const { image } = await createBuildpackage({ file: 'p', buildpack: { uri: join(dir, 'c') }, dependencies: [{ uri: join(dir, 'a') }], os: 'linux' }, ctx)
  images.set('reg.example/pkg:1', image)
  for (const uri of ['docker://reg.example/pkg:1', 'reg.example/pkg:1']) {
    const set = await readModuleSource(uri, ctx, 'x')
    t.same(set.top, { id: 'acme/c', version: '1.0.0' })
    t.same(set.infos.map((i) => i.id).sort(), ['acme/a', 'acme/c'])
    t.equal(set.byDiffId.get(fromDir.layers['acme/a']!['1.0.0']!.layerDiffID) !== undefined, true, 'the dependency keeps its layer')
  }
})

t.test('not a buildpack: a clear error naming what asked for it', async (t) => {
  await mkdir(join(dir, 'empty'))
  await t.rejects(readModuleSource(join(dir, 'empty'), ctx, 'package.toml [buildpack] uri'), { code: 'ERR_DISTRIBUTION_NOT_A_BUILDPACK', message: /package\.toml \[buildpack\] uri: .*empty is not a buildpack: it has no buildpack\.toml/ })
  await t.rejects(readModuleSource(join(dir, 'missing'), ctx, 'w'), { message: /missing does not exist/ })
})
