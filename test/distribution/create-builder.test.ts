import t from 'tap'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { createBuilder, LABELS, NO_LIFECYCLE_NOTE, type SourceContext } from '../../lib/distribution/index.js'
import { imageFromParts } from '../../lib/image/index.js'
import { writeShBuildpack } from '../helpers/sh-buildpacks.js'
import { readTar, tmp } from './helpers.js'

let dir: string
let ctx: SourceContext
t.before(async () => {
  dir = await tmp('lading-dist-builder-')
  ctx = { storeDir: join(dir, 'store'), openImage: async () => { throw new Error('no') }, openCnb: async () => { throw new Error('no') } }
  await writeShBuildpack(join(dir, 'a'), 'acme/a', '1.0.0', 'a')
})
t.teardown(() => rm(dir, { recursive: true, force: true }))

const config = (extra: object = {}) => ({
  file: 'builder.toml', description: 'd', buildpacks: [{ uri: join(dir, 'a') }], order: [], buildImage: 'b', buildEnv: [{ name: 'X', value: '1', suffix: 'default' as const }],
  runImages: [{ image: 'reg.example/run:1', mirrors: ['m.example/run:1'] }], ignored: [], ...extra,
})

t.test("pack's layout: dirs owned by the CNB user, buildpack layers, order/stack/run files, labels, WorkingDir", async (t) => {
  const buildImage = imageFromParts({ config: { Env: ['CNB_USER_ID=1001', 'CNB_GROUP_ID=1002'], User: '1001' } })
  const { image, metadata } = await createBuilder({ config: config(), buildImage, sources: ctx, storeDir: ctx.storeDir })
  const c = await image.config()
  t.equal(c.config!.WorkingDir, '/layers')
  t.equal(c.config!.User, '1001', 'the build image config is kept')
  t.same(JSON.parse(c.config!.Labels![LABELS.buildpackOrder]!), [{ group: [{ id: 'acme/a', version: '1.0.0' }] }], 'no [[order]]: each buildpack its own group')
  t.same(metadata.images, [{ image: 'reg.example/run:1', mirrors: ['m.example/run:1'] }])
  t.equal((metadata.lifecycle as unknown as { note: string }).note, NO_LIFECYCLE_NOTE)
  const layers = await image.layers()
  const dirs = await readTar(await layers[0]!.uncompressed())
  const ws = dirs.find((e) => e.name === 'workspace/')!
  t.same([ws.uid, ws.gid], [1001, 1002])
  t.same(dirs.find((e) => e.name === 'cnb/build-config/env/')!.uid, 0)
  const files = new Map<string, string>()
  for (const l of layers.slice(2)) for (const e of await readTar(await l.uncompressed())) if (e.text !== undefined) files.set(e.name, e.text)
  t.match(files.get('cnb/order.toml'), /id = "acme\/a"\nversion = "1.0.0"/)
  t.match(files.get('cnb/run.toml'), /image = "reg.example\/run:1"/)
  t.match(files.get('cnb/stack.toml'), /\[run-image\]/)
  t.equal(files.get('cnb/build-config/env/X.default'), '1')
})

t.test('a build image without CNB_USER_ID is refused, naming it', async (t) => {
  await t.rejects(createBuilder({ config: config(), buildImage: imageFromParts({}), sources: ctx, storeDir: ctx.storeDir }),
    { code: 'ERR_DISTRIBUTION_BUILD_IMAGE', message: /b: the build image must set CNB_USER_ID/ })
})
