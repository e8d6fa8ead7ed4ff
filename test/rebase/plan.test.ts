import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { appendLayers, imageFromParts, layerFromBytes, withConfig } from '../../lib/image/index.js'
import { openLayout } from '../../lib/layout/index.js'
import { RunImageCache, RebaseError, parseImageName } from '../../lib/rebase/index.js'
import { inAppLayout, planImageRebase } from '../../lib/rebase/plan.js'
import type { ImageManifest, Parsed } from '../../lib/oci/index.js'
import { emptyLayersMetadata, encodeLifecycleMetadata, LABELS } from '../../lib/platform/index.js'
import { pushImage } from '../../lib/remote/index.js'

let dir: string
t.beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'lading-plan-')) })
t.afterEach(() => rm(dir, { recursive: true, force: true }))

/** Run images v1 and v2 (stack `st`, or `other` for v2 when asked) in one layout; an app on v1 in another. */
async function setup(opts: { env?: string[]; v2Stack?: string; image?: string; mirrors?: (run: string) => string[]; sameLayout?: boolean } = {}) {
  const runRepo = await openLayout(join(dir, 'run'), { create: true })
  const appRepo = opts.sameLayout ? runRepo : await openLayout(join(dir, 'app'), { create: true })
  const run = (v: string, stack = 'st') => imageFromParts({ config: { Labels: { 'io.buildpacks.stack.id': stack } }, layers: [layerFromBytes(Buffer.from(v))] })
  const v1 = run('v1')
  const v2 = run('v2', opts.v2Stack)
  await pushImage(runRepo, v1, ['v1'])
  await pushImage(runRepo, v2, ['current'])
  const md = emptyLayersMetadata()
  md.runImage = { topLayer: (await v1.config()).rootfs.diff_ids[0]!, reference: `${runRepo.name}@${await v1.digest()}`,
    image: opts.image ?? `${runRepo.name}:current`, mirrors: opts.mirrors?.(`${runRepo.name}:current`) ?? [] }
  const app = withConfig(appendLayers(v1, { layer: layerFromBytes(Buffer.from('app')) }), (c) => ({
    ...c, config: { Env: opts.env ?? ['CNB_PLATFORM_API=0.13'], Labels: { ...c.config?.Labels, [LABELS.LIFECYCLE_METADATA]: encodeLifecycleMetadata(md) } },
  }))
  await pushImage(appRepo, app, ['1'])
  const runImages = new RunImageCache(async (name) => {
    const rest = name.slice(4)
    const cut = rest.includes('@') ? rest.indexOf('@') : rest.indexOf(':')
    return { repo: await openLayout(rest.slice(0, cut)), identifier: rest.slice(cut + 1) }
  })
  const parsed = await appRepo.manifests.get('1') as Parsed<ImageManifest>
  const plan = (extra: { force?: boolean; runImage?: string } = {}) => planImageRebase(appRepo, parsed, 'app', { runImages, appRegistry: '', parse: parseImageName, ...extra })
  return { runRepo, appRepo, v2, plan }
}

t.test('a plan counts the config and the base bytes to copy, and writes nothing', async (t) => {
  const s = await setup()
  const p = await s.plan()
  t.ok(p.next)
  t.equal(p.bytes.config, (await p.next!.rawConfig()).length)
  t.equal(p.bytes.copy, (await s.v2.manifest()).layers[0]!.size)
  t.equal(p.bytes.mount, 0, 'layouts cannot mount')
  t.equal(p.old.layers, 1)
  t.equal(p.new.digest, await s.v2.digest())
  t.notOk(await s.appRepo.blobs.stat((await s.v2.manifest()).layers[0]!.digest))
  await pushImage(s.appRepo, s.v2, [])
  t.equal((await s.plan()).bytes.copy, 0, 'blobs already present are not counted')
})

t.test('legacy images (no CNB_PLATFORM_API) need the same stack; --force does not help', async (t) => {
  const s = await setup({ env: [], v2Stack: 'other' })
  for (const force of [false, true]) {
    const err = await s.plan({ force }).catch((e: unknown) => e)
    t.ok(err instanceof RebaseError)
    t.equal((err as RebaseError).kind, 'refused')
    t.match((err as Error).message, /incompatible stack.*--force does not apply/)
  }
})

t.test('the recorded image and its mirrors: the first readable one is chosen', async (t) => {
  const s = await setup({ image: `oci:${join(dir, 'gone')}:current`, mirrors: (run) => [run] })
  const p = await s.plan()
  t.equal(p.new.name, `${s.runRepo.name}:current`)
  const none = await setup2()
  const err = await none.plan().catch((e: unknown) => e)
  t.equal((err as RebaseError).kind, 'run-image')
  t.match((err as Error).message, /--run-image/)
})

async function setup2() {
  await rm(dir, { recursive: true, force: true })
  dir = await mkdtemp(join(tmpdir(), 'lading-plan-'))
  return setup({ image: `oci:${join(dir, 'gone')}:current` })
}

t.test('a run image recorded by its bare layout name is found in the app\'s own layout (what a build from oci:DIR:run records)', async (t) => {
  const s = await setup({ image: 'current', sameLayout: true })
  const p = await s.plan()
  t.equal(p.new.name, `${s.runRepo.name}:current`)
  t.ok(p.next, 'rebased onto v2')
  t.equal(inAppLayout('run', 'oci:/x'), 'oci:/x:run')
  t.equal(inAppLayout('sha256:ab', 'oci:/x'), 'oci:/x@sha256:ab')
  t.equal(inAppLayout('run', 'registry.example.com/a'), 'run', 'a registry app keeps the name as recorded')
  t.equal(inAppLayout('registry.example.com/r:1', 'oci:/x'), 'registry.example.com/r:1')
})
