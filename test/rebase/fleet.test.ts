import t from 'tap'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { appendLayers, imageFromParts, layerFromBytes, withConfig, withLabels, type Image } from '../../lib/image/index.js'
import { openLayout } from '../../lib/layout/index.js'
import { type RebaseTarget, RunImageCache, rebaseFleet } from '../../lib/rebase/index.js'
import { emptyLayersMetadata, encodeLifecycleMetadata, LABELS } from '../../lib/platform/index.js'
import { fetchImage, pushImage } from '../../lib/remote/index.js'
import { parseReference } from '../../lib/oci/index.js'
import { createRegistryClient } from '../../lib/registry/index.js'
import { countedRegistry, fleetRunImage, seedFleet } from '../helpers/fleet-registry.js'

let dir: string
t.beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'lading-fleet-')) })
t.afterEach(() => rm(dir, { recursive: true, force: true }))

/** Ten app images (tags app0..app9) on run v1, one non-CNB image (tag plain); run:current then moves to v2. */
async function fleet() {
  const repo = await openLayout(dir, { create: true })
  const run = (v: string) => imageFromParts({ config: { Labels: { 'io.buildpacks.stack.id': 'st' } }, layers: [layerFromBytes(Buffer.from(v))] })
  const v1 = run('v1')
  await pushImage(repo, v1, ['current', 'plain'])
  const md = emptyLayersMetadata()
  md.runImage = { topLayer: (await v1.config()).rootfs.diff_ids[0]!, reference: `${repo.name}@${await v1.digest()}`, image: `${repo.name}:current`, mirrors: [] }
  for (let i = 0; i < 10; i++) {
    const app = withConfig(appendLayers(v1, { layer: layerFromBytes(Buffer.from(`app${i}`)) }), (c) => ({
      ...c, config: { Env: ['CNB_PLATFORM_API=0.13'], Labels: { ...c.config?.Labels, [LABELS.LIFECYCLE_METADATA]: encodeLifecycleMetadata(md) } },
    }))
    await pushImage(repo, app, [`app${i}`])
  }
  await pushImage(repo, run('v2'), ['current'])
  const runImages = new RunImageCache(async (name) => ({ repo, identifier: name.slice(name.lastIndexOf(name.includes('@') ? '@' : ':') + 1) }))
  const open = async (tag: string): Promise<RebaseTarget> => {
    if (tag === 'boom') throw new Error('cannot open boom')
    return { repo, identifier: tag, tags: [tag], display: tag, registry: '' }
  }
  return { repo, runImages, open }
}

t.test('results in input order with a summary; the run image is fetched once', async (t) => {
  const f = await fleet()
  const refs = [...Array.from({ length: 10 }, (_, i) => `app${i}`), 'plain', 'boom']
  const seen: string[] = []
  const { items, summary } = await rebaseFleet(refs, f.open, { runImages: f.runImages, fleetConcurrency: 3, onResult: (it) => seen.push(it.image) })
  t.same(items.map((i) => i.image), refs)
  t.same([...seen].sort(), [...refs].sort(), 'onResult once per image')
  t.match(summary, { images: 12, rebased: 10, upToDate: 0, skipped: 1, failed: 1 })
  t.ok(summary.bytesUploaded > 0)
  const plain = items[10]!
  t.equal(plain.ok, false)
  if (!plain.ok) {
    t.equal(plain.status, 'skipped')
    t.equal(plain.exitCode, 72)
  }
  const boom = items[11]!
  if (!boom.ok) {
    t.equal(boom.status, 'failed')
    t.match(boom.reason, /cannot open boom/)
  }
  t.equal(f.runImages.fetches, 2, 'run:current and the recorded v1 reference, once each')
  const again = await rebaseFleet(refs.slice(0, 10), f.open, { runImages: new RunImageCache(async (n) => ({ repo: f.repo, identifier: n.slice(n.lastIndexOf(n.includes('@') ? '@' : ':') + 1) })) })
  t.equal(again.summary.upToDate, 10)
})

t.test('dry run counts would-rebase and writes nothing', async (t) => {
  const f = await fleet()
  const before = (await f.repo.manifests.get('app0')).descriptor.digest
  const { summary } = await rebaseFleet(['app0', 'app1'], f.open, { runImages: f.runImages, dryRun: true })
  t.match(summary, { wouldRebase: 2, rebased: 0 })
  t.equal((await f.repo.manifests.get('app0')).descriptor.digest, before)
})

t.test('at most 8 images in flight by default, or fleetConcurrency', async (t) => {
  const f = await fleet()
  const refs = Array.from({ length: 20 }, (_, i) => `app${i % 10}`)
  for (const [opts, want] of [[{}, 8], [{ fleetConcurrency: 3 }, 3]] as const) {
    let active = 0
    let most = 0
    const open = async (ref: string): Promise<RebaseTarget> => {
      most = Math.max(most, ++active)
      return f.open(ref)
    }
    await rebaseFleet(refs, open, { runImages: f.runImages, dryRun: true, ...opts, onResult: () => { active-- } })
    t.equal(most, want)
  }
})

t.test('a failure part-way (config upload, manifest by digest) leaves the tag where it was', async (t) => {
  const f = await fleet()
  const before = (await f.repo.manifests.get('app0')).descriptor.digest
  // The same layout, with one method replaced (a Proxy keeps the stores' private fields working).
  const replace = <T extends object>(target: T, key: string, value: unknown): T => new Proxy(target, {
    get: (o, k) => {
      if (k === key) return value
      const v: unknown = Reflect.get(o, k)
      return typeof v === 'function' ? v.bind(o) : v
    },
  })
  const failing = [
    replace(f.repo, 'blobs', replace(f.repo.blobs, 'put', async () => { throw new Error('config upload failed') })),
    replace(f.repo, 'manifests', replace(f.repo.manifests, 'put', async () => { throw new Error('manifest put failed') })),
  ]
  for (const repo of failing) {
    const { items, summary } = await rebaseFleet(['app0'], async () => ({ repo, identifier: 'app0', tags: ['app0'], display: 'app0', registry: '' }), { runImages: f.runImages })
    t.equal(summary.failed, 1)
    t.match(items[0], { ok: false, reason: /failed/ })
    t.equal((await f.repo.manifests.get('app0')).descriptor.digest, before, 'tag not moved')
  }
})

t.test('on a registry with the config cache: a warm fleet rebase is 4 requests per image, a cold one 5; a damaged entry falls back', async (t) => {
  const { proxy: p, host } = await countedRegistry(t)
  const seed = createRegistryClient({})
  t.teardown(() => seed.close())
  const plain = (name: string) => seed.repository({ registry: host, repository: name })
  const runImage = (v: string) => fleetRunImage(v)
  // What lading learns about a registry (here: it refuses manifests naming layers it lacks) is kept between runs, as the CLI keeps it.
  const facts = join(dir, 'registries.json')
  const N = 8
  const refs = await seedFleet(plain, host, runImage('v1'), N, 'app layer')
  // Each rebase: a new client (one CLI run), the run image's layers unchanged and its config new, so every image needs a new config and manifest.
  const rebaseAll = async (cacheDir: string, runImage: Image) => {
    await pushImage(plain('run'), runImage, ['current'])
    const c = createRegistryClient({ capabilitiesFile: facts, jsonBlobCacheDir: cacheDir })
    const repo = (r: { registry: string; repository: string }) => c.repository(r)
    const runImages = new RunImageCache(async (name) => {
      const r = parseReference(name)
      return { repo: repo(r), identifier: r.digest || r.tag || 'latest' }
    })
    const open = async (name: string): Promise<RebaseTarget> => ({ repo: repo({ registry: host, repository: name }), identifier: '1', tags: ['1'], display: name, registry: host })
    const from = p.requests.length
    const out = await rebaseFleet(refs, open, { runImages, fleetConcurrency: 3 })
    await c.close()
    const app = p.requests.slice(from).filter((q) => /\/v2\/app\d+\//.test(q.path))
    const kinds = (re: RegExp, method: string) => app.filter((q) => q.method === method && re.test(q.path)).length
    return { ...out, perImage: app.length / N, configGets: kinds(/\/blobs\/sha256:/, 'GET'), refused: app.filter((q) => q.status === 400).length }
  }
  const v2 = runImage('v2')
  const patch = (n: string) => withLabels(v2, { patch: n })
  const first = await rebaseAll(join(dir, 'first'), v2)
  t.equal(first.summary.rebased, N, 'first rollout: the new layers are mounted, and the registry shows it checks manifests')
  const cold = await rebaseAll(join(dir, 'cold'), patch('1'))
  t.equal(cold.summary.rebased, N)
  t.equal(cold.configGets, N, 'cold cache: every app config is read')
  // The run's second image asks about its config (PushHints' probe for configs another machine wrote): one 400, once.
  t.ok(cold.perImage <= 5 + 1 / N, `cold cache: GET manifest, GET config, POST + PUT config, PUT manifest (${cold.perImage} per image)`)

  const warmDir = join(dir, 'warm')
  await rebaseAll(warmDir, patch('2'))
  const warm = await rebaseAll(warmDir, patch('3'))
  t.equal(warm.summary.rebased, N)
  t.equal(warm.configGets, 0, 'warm cache: no config GET')
  t.equal(warm.refused, 0, 'no probing PUT manifest 400: a config this machine never saw, for an image it knows, is new')
  t.equal(warm.perImage, 4, 'GET manifest, POST + PUT config, PUT manifest')
  const onRun = async (app: string, n: string) => {
    const labels = (await (await fetchImage(plain(app), '1')).config()).config?.Labels ?? {}
    t.match(JSON.parse(labels[LABELS.LIFECYCLE_METADATA] ?? '{}'), { runImage: { reference: `${host}/run@${await patch(n).digest()}` } }, `${app} is on patch ${n}`)
    t.equal(labels.n, app.slice(3), 'with its own labels')
  }
  await onRun('app5', '3')

  const back = await rebaseAll(warmDir, patch('2'))
  t.equal(back.summary.rebased, N)
  t.equal(back.perImage, 2, 'a rollback with the configs known here: GET manifest, PUT manifest')

  // A damaged entry (the current config of app0): read from the registry again, and the result is right.
  const current = await plain('app0').manifests.get('1')
  const cfg = (current.value as { config: { digest: string } }).config.digest
  await writeFile(join(warmDir, cfg.slice(7)), '{"damaged":true}')
  const fixed = await rebaseAll(warmDir, patch('4'))
  t.equal(fixed.summary.rebased, N)
  t.equal(fixed.configGets, 1, 'only the damaged one is read from the registry')
  await onRun('app0', '4')
})
