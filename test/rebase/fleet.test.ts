import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { appendLayers, imageFromParts, layerFromBytes, withConfig } from '../../lib/image/index.js'
import { openLayout } from '../../lib/layout/index.js'
import { type RebaseTarget, RunImageCache, rebaseFleet } from '../../lib/rebase/index.js'
import { emptyLayersMetadata, encodeLifecycleMetadata, LABELS } from '../../lib/platform/index.js'
import { pushImage } from '../../lib/remote/index.js'

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
