import t from 'tap'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { appendLayers, imageFromParts, layerFromBytes, withConfig, withLabels, type Image } from '../../lib/image/index.js'
import { openLayout } from '../../lib/layout/index.js'
import { isIndex, type ImageIndex, type Repository } from '../../lib/oci/index.js'
import { emptyLayersMetadata, encodeLifecycleMetadata, LABELS } from '../../lib/platform/index.js'
import { fetchImage, pushImage } from '../../lib/remote/index.js'
import { rebaseImage, type RebaseTarget, REBASE_CREATED, RunImageCache, RebaseError } from '../../lib/rebase/index.js'

// A run image (two layers) in one layout, app images built on it in another: layouts cannot
// mount, so the new base's layers are copied, which exercises the "another registry" path.
async function world(dir: string) {
  const runRepo = await openLayout(join(dir, 'run'), { create: true })
  const appRepo = await openLayout(join(dir, 'app'), { create: true })
  const run = (v: string, labels: Record<string, string> = {}) => imageFromParts({
    config: { Env: ['PATH=/bin'], Labels: { 'io.buildpacks.stack.id': 'st', 'io.buildpacks.base.distro.name': 'd', 'io.buildpacks.base.id': `base-${v}`, ...labels } },
    layers: [layerFromBytes(Buffer.from(`${v}-os`)), layerFromBytes(Buffer.from(`${v}-top`))],
  })
  const v1 = run('v1')
  const v2 = run('v2')
  await pushImage(runRepo, v1, ['v1', 'current'])
  await pushImage(runRepo, v2, ['v2'])
  const md = emptyLayersMetadata()
  md.runImage = { topLayer: (await v1.config()).rootfs.diff_ids.at(-1)!, reference: `${runRepo.name}@${await v1.digest()}`, image: `${runRepo.name}:current`, mirrors: [] }
  const app = withConfig(appendLayers(v1, { layer: layerFromBytes(Buffer.from('app')), history: { created_by: 'app' } }), (c) => ({
    ...c,
    config: { ...c.config, Env: ['PATH=/cnb/process:/bin', 'CNB_PLATFORM_API=0.13'], Entrypoint: ['/cnb/process/web'],
      Labels: { ...c.config?.Labels, [LABELS.LIFECYCLE_METADATA]: encodeLifecycleMetadata(md), 'x.keep': 'yes' } },
  }))
  await pushImage(appRepo, app, ['1'])
  const open = async (name: string) => {
    const rest = name.slice(4)
    const at = rest.indexOf('@')
    const colon = rest.indexOf(':')
    const dirPart = at >= 0 ? rest.slice(0, at) : colon >= 0 ? rest.slice(0, colon) : rest
    const id = at >= 0 ? rest.slice(at + 1) : colon >= 0 ? rest.slice(colon + 1) : 'latest'
    return { repo: await openLayout(dirPart), identifier: id }
  }
  const target = (identifier = '1', repo: Repository = appRepo): RebaseTarget => ({ repo, identifier, tags: identifier.startsWith('sha256:') ? [] : [identifier], display: `app:${identifier}`, registry: '' })
  const patch = () => pushImage(runRepo, v2, ['current'])
  return { runRepo, appRepo, v1, v2, app, open, target, patch, runName: `${runRepo.name}:current` }
}

let dir: string
t.beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'lading-rebase-')) })
t.afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

t.test('already on the recorded run image: up to date, nothing written', async (t) => {
  const w = await world(dir)
  const before = await readFile(join(dir, 'app/index.json'), 'utf8')
  const r = await rebaseImage(w.target(), { runImages: new RunImageCache(w.open) })
  t.equal(r.status, 'up-to-date')
  t.equal(r.newDigest, await w.app.digest())
  t.equal(await readFile(join(dir, 'app/index.json'), 'utf8'), before)
})

t.test('rebase onto the patched run image: config stitched, labels replaced, base layers copied', async (t) => {
  const w = await world(dir)
  await w.patch()
  const dry = await rebaseImage(w.target(), { runImages: new RunImageCache(w.open), dryRun: true })
  t.equal(dry.status, 'would-rebase')
  t.equal((await w.appRepo.manifests.get('1')).descriptor.digest, await w.app.digest(), 'dry run moved no tag')
  const v2Layers = (await w.v2.manifest()).layers
  t.equal(dry.bytes.copied, v2Layers.reduce((n, l) => n + l.size, 0), 'dry run counts the base bytes to copy')
  t.notOk(await w.appRepo.blobs.stat(v2Layers[0]!.digest), 'dry run copied nothing')

  const r = await rebaseImage(w.target(), { runImages: new RunImageCache(w.open) })
  t.equal(r.status, 'rebased')
  t.equal(r.bases[0]!.old.digest, await w.v1.digest())
  t.equal(r.bases[0]!.new.digest, await w.v2.digest())
  t.equal(r.bytes.copied, dry.bytes.copied)
  t.equal(r.newDigest, dry.newDigest, 'the dry run predicted the digest')
  const top = await w.appRepo.manifests.get('1')
  t.equal(top.descriptor.digest, r.newDigest, 'tag moved')
  const img = await fetchImage(w.appRepo, '1')
  const c = await img.config()
  const [v2c, appc] = [await w.v2.config(), await w.app.config()]
  t.same(c.rootfs.diff_ids, [...v2c.rootfs.diff_ids, appc.rootfs.diff_ids.at(-1)])
  t.equal(c.created, REBASE_CREATED)
  t.same(c.history, c.rootfs.diff_ids.map(() => ({ created: REBASE_CREATED })))
  t.same(c.config?.Env, appc.config?.Env, 'Env kept as the app had it')
  t.equal(c.config?.Labels?.['io.buildpacks.base.id'], 'base-v2', 'base labels from the new base')
  t.equal(c.config?.Labels?.['x.keep'], 'yes')
  const md = JSON.parse(c.config!.Labels![LABELS.LIFECYCLE_METADATA]!)
  t.equal(md.runImage.topLayer, v2c.rootfs.diff_ids.at(-1))
  t.equal(md.runImage.reference, `${w.runRepo.name}@${await w.v2.digest()}`)
  t.equal(md.runImage.image, w.runName)
  for (const l of v2Layers) t.ok(await w.appRepo.blobs.stat(l.digest), 'new base blob present')
  const again = await rebaseImage(w.target(), { runImages: new RunImageCache(w.open) })
  t.equal(again.status, 'up-to-date')
})

t.test('refusals are RebaseErrors with their kind, and nothing is written', async (t) => {
  const w = await world(dir)
  await w.patch()
  const cases: Array<[string, (i: Image) => Image, string, RegExp, Record<string, unknown>?]> = [
    ['not rebasable', (i) => withLabels(i, { [LABELS.REBASABLE]: 'false' }), 'refused', /not marked as rebasable.*--force/],
    ['arch', (i) => withConfig(i, (c) => ({ ...c, architecture: 'arm64' })), 'refused', /incompatible architecture/],
    ['no label', (i) => withLabels(i, { [LABELS.LIFECYCLE_METADATA]: undefined }), 'not-cnb', /not a Cloud Native Buildpacks image/],
    ['bad label', (i) => withLabels(i, { [LABELS.LIFECYCLE_METADATA]: '[1]' }), 'label', /lifecycle\.metadata/],
    ['name', (i) => i, 'refused', /is not the app's run image or one of its mirrors/, { runImage: `${w.runRepo.name}:v2` }],
  ]
  for (const [name, edit, kind, text, extra] of cases) {
    await pushImage(w.appRepo, edit(w.app), [name.replace(/ /g, '-')])
    const before = await readFile(join(dir, 'app/index.json'), 'utf8')
    const err = await rebaseImage(w.target(name.replace(/ /g, '-')), { runImages: new RunImageCache(w.open), ...extra }).catch((e: unknown) => e)
    t.ok(err instanceof RebaseError, name)
    t.equal((err as RebaseError).kind, kind, name)
    t.match((err as Error).message, text, name)
    t.equal(await readFile(join(dir, 'app/index.json'), 'utf8'), before, `${name}: nothing written`)
  }
  const forced = await rebaseImage(w.target(), { runImages: new RunImageCache(w.open), runImage: `${w.runRepo.name}:v2`, force: true })
  t.equal(forced.status, 'rebased')
  t.match(forced.warnings.join('\n'), /ignored: forced/)
  const md = JSON.parse((await (await fetchImage(w.appRepo, '1')).config()).config!.Labels![LABELS.LIFECYCLE_METADATA]!)
  t.equal(md.runImage.image, `${w.runRepo.name}:v2`, 'forced: the new name is recorded')
  t.equal(md.runImage.mirrors, undefined, 'no mirrors: the key is left out, as the lifecycle writes it')
})

t.test('the old base is proved against the recorded run image', async (t) => {
  const w = await world(dir)
  await w.patch()
  const relabel = (edit: (md: { runImage: { reference: string; topLayer: string } }) => void) => withConfig(w.app, (c) => {
    const md = JSON.parse(c.config!.Labels![LABELS.LIFECYCLE_METADATA]!)
    edit(md)
    return { ...c, config: { ...c.config, Labels: { ...c.config!.Labels, [LABELS.LIFECYCLE_METADATA]: JSON.stringify(md) } } }
  })
  await pushImage(w.appRepo, relabel((md) => { md.runImage.reference = `${w.runRepo.name}@${md.runImage.reference.split('@')[1]!.replace(/.$/, '0')}` }), ['gone'])
  const gone = await rebaseImage(w.target('gone'), { runImages: new RunImageCache(w.open), dryRun: true })
  t.match(gone.warnings.join('\n'), /not reachable; the old base is proved by its top layer only/)
  const v2digest = await w.v2.digest()
  await pushImage(w.appRepo, relabel((md) => { md.runImage.reference = `${w.runRepo.name}@${v2digest}` }), ['tampered'])
  const err = await rebaseImage(w.target('tampered'), { runImages: new RunImageCache(w.open) }).catch((e: unknown) => e)
  t.equal((err as RebaseError).kind, 'old-base')
  t.match((err as Error).message, /do not match the recorded run image/)
  await pushImage(w.appRepo, relabel((md) => { md.runImage.topLayer = `sha256:${'a'.repeat(64)}` }), ['top'])
  const top = await rebaseImage(w.target('top'), { runImages: new RunImageCache(w.open) }).catch((e: unknown) => e)
  t.equal((top as RebaseError).kind, 'old-base')
})

t.test('an index is rebased child by child; attestations and platforms kept', async (t) => {
  const w = await world(dir)
  await w.patch()
  const d = await w.app.descriptor()
  const index: ImageIndex = {
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ ...d, platform: { os: 'linux', architecture: 'amd64' } }, { ...d, platform: { os: 'linux', architecture: 'arm64' }, annotations: { a: 'b' } }],
  }
  await w.appRepo.manifests.put('multi', Buffer.from(JSON.stringify(index)), index.mediaType!)
  const r = await rebaseImage(w.target('multi'), { runImages: new RunImageCache(w.open) })
  t.equal(r.status, 'rebased')
  t.equal(r.bases.length, 2)
  const top = await w.appRepo.manifests.get('multi')
  t.ok(isIndex(top))
  const out = top.value as ImageIndex
  t.same(out.manifests.map((m) => m.platform?.architecture), ['amd64', 'arm64'])
  t.same(out.manifests[1]!.annotations, { a: 'b' })
  t.not(out.manifests[0]!.digest, d.digest)
  t.ok(await w.appRepo.manifests.get(out.manifests[0]!.digest), 'child pushed by digest')
  t.equal((await rebaseImage(w.target('multi'), { runImages: new RunImageCache(w.open) })).status, 'up-to-date')
})

t.test('the old base and the new run image are read at once: neither read waits for the other', async (t) => {
  const w = await world(dir)
  await w.patch()
  const asked: string[] = []
  let unblock!: () => void
  const gate = new Promise<void>((r) => { unblock = r })
  let released = false
  const release = (): void => {
    released = true
    unblock()
  }
  // A serial reader would hold here with one read asked for; the timer lets it go on and fail.
  const timer = setTimeout(release, 2000)
  t.teardown(() => clearTimeout(timer))
  let together = false
  const open = async (name: string) => {
    const o = await w.open(name)
    const manifests = Object.create(o.repo.manifests) as Repository['manifests']
    manifests.get = async (ref, signal) => {
      asked.push(ref)
      if (asked.length === 2 && !released) {
        together = true
        release()
      }
      await gate
      return o.repo.manifests.get(ref, signal)
    }
    return { ...o, repo: Object.create(o.repo, { manifests: { value: manifests } }) as Repository }
  }
  const r = await rebaseImage(w.target(), { runImages: new RunImageCache(open) })
  t.equal(r.status, 'rebased')
  t.ok(together, `both base reads were out before either was answered (asked: ${asked.join(', ')})`)
  t.same(asked.map((a) => a.startsWith('sha256:') ? 'digest' : a).sort(), ['current', 'digest'])
})
