import t from 'tap'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { builderEnv, builderRunImages, LABELS, readBuilderForBuild } from '../../lib/distribution/index.js'
import { imageFromParts } from '../../lib/image/index.js'
import { tmp } from './helpers.js'

let dir: string
t.before(async () => { dir = await tmp('lading-dist-forbuild-') })
t.teardown(() => rm(dir, { recursive: true, force: true }))

const D = (c: string): string => `sha256:${c.repeat(64)}`

t.test('a builder for a build: order, reached buildpacks, buildpack layers to leave out of the rootfs', async (t) => {
  const layers = { a: { '1': { api: '0.10', layerDiffID: D('1') } }, b: { '1': { api: '0.10', layerDiffID: D('2') } } }
  const image = imageFromParts({ config: { Labels: { [LABELS.buildpackLayers]: JSON.stringify(layers), [LABELS.buildpackOrder]: '[{"group":[{"id":"a"}]}]', [LABELS.builderMetadata]: '{}' } } })
  const b = await readBuilderForBuild(image, 'builder')
  t.same(b.modules.map((m) => m.id), ['a'])
  t.same([...b.buildpackDiffIds].sort(), [D('1'), D('2')])
})

t.test('run images: metadata images, else stack.runImage, else /cnb/run.toml or stack.toml', async (t) => {
  const d = (md: object) => ({ builder: { description: '', buildpacks: [], stack: { runImage: { image: '', mirrors: [] } }, lifecycle: { version: '' }, createdBy: { name: '', version: '' }, ...md } }) as never
  t.same(await builderRunImages(d({ images: [{ image: 'r1', mirrors: ['m1'] }], stack: { runImage: { image: 'r0' } } })), [{ image: 'r1', mirrors: ['m1'] }])
  t.same(await builderRunImages(d({ stack: { runImage: { image: 'r0', mirrors: [] } } })), [{ image: 'r0', mirrors: [] }])
  await mkdir(join(dir, 'rootfs/cnb'), { recursive: true })
  await writeFile(join(dir, 'rootfs/cnb/stack.toml'), '[run-image]\nimage = "from-stack"\n')
  t.same(await builderRunImages(d({}), join(dir, 'rootfs')), [{ image: 'from-stack', mirrors: [] }])
})

t.test('env: /platform/env as values, /cnb/build-config/env as a dir', async (t) => {
  const root = join(dir, 'envroot')
  await mkdir(join(root, 'platform/env'), { recursive: true })
  await mkdir(join(root, 'cnb/build-config/env'), { recursive: true })
  await writeFile(join(root, 'platform/env/GREETING'), 'hi')
  await writeFile(join(root, 'platform/env/not-a-name!'), 'x')
  await writeFile(join(root, 'cnb/build-config/env/X.override'), '1')
  t.same(await builderEnv(root), { platformEnv: { GREETING: 'hi' }, buildConfigEnvDir: join(root, 'cnb/build-config/env') })
  t.same(await builderEnv(join(dir, 'nothing')), { platformEnv: {} })
})
