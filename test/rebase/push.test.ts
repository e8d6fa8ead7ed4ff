import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { appendLayers, imageFromParts, layerFromBytes, withConfig } from '../../lib/image/index.js'
import { openLayout } from '../../lib/layout/index.js'
import { RunImageCache, parseImageName } from '../../lib/rebase/index.js'
import { planImageRebase } from '../../lib/rebase/plan.js'
import { pushRebased } from '../../lib/rebase/push.js'
import { HeldBlobs } from '../../lib/rebase/held-blobs.js'
import type { Digest } from '../../lib/digest/index.js'
import type { ImageManifest, Parsed, Repository } from '../../lib/oci/index.js'
import { emptyLayersMetadata, encodeLifecycleMetadata, LABELS } from '../../lib/platform/index.js'
import { pushImage, readAll } from '../../lib/remote/index.js'

let dir: string
t.beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'lading-rebase-push-')) })
t.afterEach(() => rm(dir, { recursive: true, force: true }))

/** Two layouts posing as repositories of one registry (`h/run`, `h/app`); the app side records calls and can mount. */
async function setup() {
  const runLayout = await openLayout(join(dir, 'run'), { create: true })
  const appLayout = await openLayout(join(dir, 'app'), { create: true })
  const calls: string[] = []
  const run: Repository = { ...runLayout, name: 'h/run', blobs: runLayout.blobs, manifests: runLayout.manifests }
  const app: Repository = {
    name: 'h/app',
    blobs: {
      stat: (d) => { calls.push(`stat ${d}`); return appLayout.blobs.stat(d) },
      open: (d, s) => appLayout.blobs.open(d, s),
      put: (b, e, o) => { calls.push(`put ${e?.digest}`); return appLayout.blobs.put(b, e, o) },
      mount: async (d: Digest, from: string) => {
        calls.push(`mount ${d} ${from}`)
        const desc = await runLayout.blobs.stat(d)
        await appLayout.blobs.put(await readAll(await runLayout.blobs.open(desc!)), { digest: d })
        return true
      },
    },
    manifests: {
      ...appLayout.manifests,
      get: (r, s) => appLayout.manifests.get(r, s),
      put: (r, b, m, s) => { calls.push(`manifest ${r}`); return appLayout.manifests.put(r, b, m, s) },
    },
  } as Repository
  const base = (v: string) => imageFromParts({ config: { Labels: {} }, layers: [layerFromBytes(Buffer.from(`${v}a`)), layerFromBytes(Buffer.from(`${v}b`))] })
  const v1 = base('v1')
  await pushImage(runLayout, v1, ['v1'])
  await pushImage(runLayout, base('v2'), ['current'])
  const md = emptyLayersMetadata()
  md.runImage = { topLayer: (await v1.config()).rootfs.diff_ids[1]!, reference: '', image: 'h/run:current', mirrors: [] }
  const img = withConfig(appendLayers(v1, { layer: layerFromBytes(Buffer.from('app1')) }, { layer: layerFromBytes(Buffer.from('app2')) }), (c) => ({
    ...c, config: { Env: ['CNB_PLATFORM_API=0.13'], Labels: { [LABELS.LIFECYCLE_METADATA]: encodeLifecycleMetadata(md) } },
  }))
  await pushImage(appLayout, img, ['1'])
  const runImages = new RunImageCache(async (name) => ({ repo: run, identifier: name.slice(name.indexOf(':') + 1) }))
  const parsed = await app.manifests.get('1') as Parsed<ImageManifest>
  const plan = await planImageRebase(app, parsed, 'app', { runImages, appRegistry: 'h', parse: parseImageName })
  return { app, plan, calls, appLayers: (await img.manifest()).layers.slice(2).map((l) => l.digest) }
}

t.test('mounts base layers, uploads the config, never touches app layers; one tag: one manifest PUT', async (t) => {
  const s = await setup()
  await pushRebased(s.app, s.plan, ['1'])
  const m = await s.plan.next!.manifest()
  t.same(s.calls.filter((c) => c.startsWith('mount')).sort(), m.layers.slice(0, 2).map((l) => `mount ${l.digest} h/run`).sort())
  t.ok(s.calls.includes(`put ${m.config.digest}`), 'config uploaded')
  for (const d of s.appLayers) t.notOk(s.calls.some((c) => c.includes(d)), 'app layer untouched')
  t.same(s.calls.filter((c) => c.startsWith('manifest')), ['manifest 1'])
  t.equal((await s.app.manifests.get('1')).descriptor.digest, await s.plan.next!.digest())
})

t.test('several tags: by digest first, then each tag; no tag: by digest only', async (t) => {
  const s = await setup()
  const digest = await s.plan.next!.digest()
  await pushRebased(s.app, s.plan, ['a', 'b'])
  t.same(s.calls.filter((c) => c.startsWith('manifest')), [`manifest ${digest}`, 'manifest a', 'manifest b'])
  s.calls.length = 0
  await pushRebased(s.app, s.plan, [])
  t.same(s.calls.filter((c) => c.startsWith('manifest')), [`manifest ${digest}`])
})

t.test('no mount for a layer the repository is known to hold: in the old manifest, or mounted earlier in the run', async (t) => {
  const s = await setup()
  const m = await s.plan.next!.manifest()
  const [first, second] = m.layers
  const held = new HeldBlobs()
  // The old manifest lists `first`; `second` was mounted by an earlier image of this run.
  const plan = { ...s.plan, held: new Set([first!.digest]) }
  held.add('h/app', second!.digest)
  await pushRebased(s.app, plan, ['1'], { held })
  t.same(s.calls.filter((c) => c.startsWith('mount')), [], 'nothing mounted')
  t.equal((await s.app.manifests.get('1')).descriptor.digest, await s.plan.next!.digest())

  const again = await setup()
  const fresh = new HeldBlobs()
  await pushRebased(again.app, again.plan, ['1'], { held: fresh })
  for (const l of m.layers.slice(0, 2)) t.ok(fresh.has('h/app', l.digest), 'what was mounted is remembered for the rest of the run')
})
