import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { appendLayers, imageFromParts, layerFromBytes, withConfig, type Image } from '../../lib/image/index.js'
import { openLayout } from '../../lib/layout/index.js'
import { RunImageCache, parseImageName, rebaseFleet, type RebaseTarget } from '../../lib/rebase/index.js'
import { planImageRebase } from '../../lib/rebase/plan.js'
import { pushRebased } from '../../lib/rebase/push.js'
import { HeldBlobs } from '../../lib/rebase/held-blobs.js'
import type { Digest } from '../../lib/digest/index.js'
import { parseReference, readAll, type ImageManifest, type Parsed, type Repository } from '../../lib/oci/index.js'
import { createRegistryClient } from '../../lib/registry/index.js'
import { countedRegistry, fleetRunImage, seedFleet } from '../helpers/fleet-registry.js'
import { emptyLayersMetadata, encodeLifecycleMetadata, LABELS } from '../../lib/platform/index.js'
import { pushImage } from '../../lib/remote/index.js'

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

t.test('a fleet on a registry: requests per image for a first rollout, a run image already there, and a rollback; failures move no tag', async (t) => {
  const { proxy: p, host } = await countedRegistry(t)
  const file = join(dir, 'registries.json')
  const client = () => {
    const c = createRegistryClient({ capabilitiesFile: file, retry: { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 2 } })
    t.teardown(() => c.close())
    return c
  }
  const seed = client()
  const repo = (name: string) => seed.repository({ registry: host, repository: name })
  const run = fleetRunImage
  const v1 = run('v1')
  const N = 12
  const refs = await seedFleet(repo, host, v1, N, 'shared app layer')
  const rebaseAll = async (runImage: Image, names = refs) => {
    await pushImage(repo('run'), runImage, ['current'])
    const c = client()
    const runImages = new RunImageCache(async (name) => {
      const r = parseReference(name)
      return { repo: c.repository(r), identifier: r.digest || r.tag || 'latest' }
    })
    const open = async (name: string): Promise<RebaseTarget> => ({ repo: c.repository({ registry: host, repository: name }), identifier: '1', tags: ['1'], display: name, registry: host })
    const from = p.requests.length
    const out = await rebaseFleet(names, open, { runImages, fleetConcurrency: 2 })
    await c.close()
    const appRequests = p.requests.slice(from).filter((q) => /\/v2\/app\d+\//.test(q.path))
    return { ...out, perImage: appRequests.length / names.length, appRequests }
  }
  const v2 = run('v2')
  const first = await rebaseAll(v2)
  t.equal(first.summary.rebased, N)
  t.ok(first.appRequests.some((q) => q.method === 'PUT' && /manifests\/sha256/.test(q.path) && q.status === 400), 'the registry was asked, by digest, what a manifest lacks')
  t.equal(first.appRequests.filter((q) => /[?&]mount=/.test(q.path)).length, 2 * N, 'a mount per new layer, nothing else')
  const again = await rebaseAll(withConfig(v2, (c) => ({ ...c, config: { ...c.config, Labels: { ...c.config?.Labels, patch: '2' } } })))
  t.equal(again.summary.rebased, N)
  t.equal(again.appRequests.filter((q) => /[?&]mount=|\/blobs\/sha256/.test(q.path) && q.method !== 'GET').length, 0, 'no mount, no HEAD')
  t.ok(again.perImage <= 5.5, `new configs, layers there: ${again.perImage} requests per image`)
  const back = await rebaseAll(v2)
  t.equal(back.summary.rebased, N)
  t.ok(back.perImage <= 3.5, `a rollback: GET manifest, GET config, PUT manifest once the run has seen configs there (${back.perImage} per image)`)
  // Back to layers every repository holds but no app manifest lists: once an image has asked, no more mounts.
  const v3 = run('v3')
  await rebaseAll(v3)
  const remounted = await rebaseAll(withConfig(v2, (c) => ({ ...c, config: { ...c.config, Labels: { ...c.config?.Labels, patch: '3' } } })))
  t.equal(remounted.summary.rebased, N)
  const mounts = remounted.appRequests.filter((q) => /[?&]mount=/.test(q.path)).length
  t.ok(mounts <= 6, `layers already there: mounted only until the run saw that (${mounts} mounts for ${N} images)`)
  // A mount that fails for one repository: that image fails and keeps its tag, the others move on.
  const before = (await repo('app3').manifests.get('1')).descriptor.digest
  p.setRules([{ match: { method: 'POST', path: /\/v2\/app3\/blobs\/uploads\/\?mount=/ }, action: { status: 500, body: '' } }])
  const failing = await rebaseAll(run('v4'))
  p.setRules([])
  t.match(failing.summary, { rebased: N - 1, failed: 1 })
  t.match(failing.items[3], { ok: false, reason: /mount .* into .*app3/ })
  t.equal((await repo('app3').manifests.get('1')).descriptor.digest, before, 'tag not moved')
})
