import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FaultProxy } from '../../registry-fixtures/index.js'
import { encodeJson, MediaTypes, parseReference, type ImageManifest, type Repository, type TransferEvent } from '../../lib/oci/index.js'
import { toImage, withMediaType, type Image, type Layer } from '../../lib/image/index.js'
import { openLayout, type LayoutRepository } from '../../lib/layout/index.js'
import type { RegistryClient } from '../../lib/registry/index.js'
import { allOrStop, fetchImage, isNotFound, pushImage, pushImageContent } from '../../lib/remote/index.js'
import { randomImage } from '../helpers/random.js'
import { registryClientEnv } from '../helpers/registry-env.js'
import { validateImage } from '../helpers/validate.js'

type T = { teardown(fn: () => unknown): void }

let proxy: FaultProxy
let client: RegistryClient

t.before(async () => { ({ proxy, client } = await registryClientEnv(t, 'remote', { retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5 } })) })

const repoAt = (path: string): Repository => client.repository(parseReference(`${proxy.host}/${path}`))

async function layout(t: T): Promise<LayoutRepository> {
  const dir = await mkdtemp(join(tmpdir(), 'lading-push-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return openLayout(dir, { create: true })
}

/** Wraps `repo`, logging every write in order as `blob <digest>` / `manifest <ref>`. */
function logging(repo: Repository, log: string[]): Repository {
  return {
    name: repo.name,
    tags: () => repo.tags(),
    blobs: {
      stat: (d, s) => repo.blobs.stat(d, s),
      open: (d, s) => repo.blobs.open(d, s),
      put: async (b, e, o) => {
        const r = await repo.blobs.put(b, e, o)
        log.push(`blob ${e?.digest}`)
        return r
      },
    },
    manifests: {
      resolve: (r, s) => repo.manifests.resolve(r, s),
      get: (r, s) => repo.manifests.get(r, s),
      put: async (ref, bytes, mt, s) => {
        log.push(`manifest ${ref}`)
        return repo.manifests.put(ref, bytes, mt, s)
      },
    },
  }
}

const tagExists = async (repo: Repository, tag: string): Promise<boolean> =>
  repo.manifests.resolve(tag).then((d) => d !== undefined, (err: unknown) => {
    if (isNotFound(err)) return false
    throw err
  })

t.test('pushes layers, then config, then the manifest by digest, then the tags', async (t) => {
  const repo = await layout(t)
  const img = await randomImage(3, 256)
  const log: string[] = []
  const desc = await pushImage(logging(repo, log), img, ['a', 'b'], { concurrency: 2 })
  const m = await img.manifest()
  t.equal(desc.digest, await img.digest())
  t.same(log.slice(0, 3).sort(), m.layers.map((l) => `blob ${l.digest}`).sort(), 'layers first')
  t.same(log.slice(3), [`blob ${m.config.digest}`, `manifest ${desc.digest}`, 'manifest a', 'manifest b'])
  await validateImage(await fetchImage(repo, 'b'))
})

t.test('a layout skips blobs it already has without reading them', async (t) => {
  const repo = await layout(t)
  const img = await randomImage(2, 128)
  await pushImage(repo, img, ['v1'])
  const events: TransferEvent[] = []
  const log: string[] = []
  await pushImageContent(logging(repo, log), img, { onProgress: (e) => events.push(e) })
  t.same(log, [`manifest ${await img.digest()}`], 'no blob was written again')
  t.same(events.map((e) => e.kind), ['exists', 'exists', 'exists'])
  t.ok(events.every((e) => e.done && e.bytes === e.total))
})

/** `base` with its first layer re-typed as non-distributable; that layer's bytes cannot be read. */
async function withForeignLayer(base: Image): Promise<Image> {
  const m = structuredClone(await base.manifest()) as ImageManifest
  m.layers[0] = { ...m.layers[0]!, mediaType: MediaTypes.OCI_LAYER_NONDIST_GZIP, urls: ['https://example.invalid/layer'] }
  const raw = encodeJson(m)
  const layers = await base.layers()
  return toImage({
    rawManifest: async () => raw,
    rawConfig: () => base.rawConfig(),
    layer: (d, _diffId, i): Layer => i === 0
      ? { ...withMediaType(layers[0]!, d.mediaType), compressed: () => Promise.reject(new Error('foreign layer read')) }
      : layers[i]!,
  })
}

// (distribution 2.8 refuses manifests with foreign urls by default, so this runs on a layout.)
t.test('foreign layers are not uploaded (nor read)', async (t) => {
  const img = await withForeignLayer(await randomImage(2, 128))
  const m = await img.manifest()
  const repo = await layout(t)
  const log: string[] = []
  const d = await pushImage(logging(repo, log), img, ['v1'])
  t.equal(d.digest, await img.digest())
  t.equal(await repo.blobs.stat(m.layers[0]!.digest), undefined)
  t.same(log, [`blob ${m.layers[1]!.digest}`, `blob ${m.config.digest}`, `manifest ${d.digest}`, 'manifest v1'])
  t.same(Buffer.from((await repo.manifests.get('v1')).bytes), Buffer.from(await img.rawManifest()))
})

t.test('pushes to a registry; a pushed image validates when read back', async (t) => {
  const img = await randomImage(2, 4096)
  const r = repoAt('push/plain')
  const desc = await pushImage(r, img, ['v1'])
  const back = await fetchImage(r, 'v1')
  t.equal(await back.digest(), desc.digest)
  await validateImage(back)
})

t.test('a layer from the same registry is mounted; other registries and layouts are not tried', async (t) => {
  const img = await randomImage(2, 2048)
  await pushImage(repoAt('mount/src'), img, ['v1'])
  const fromReg = await fetchImage(repoAt('mount/src'), 'v1')
  const events: TransferEvent[] = []
  const before = proxy.requests.length
  await pushImage(repoAt('mount/dst'), fromReg, ['v1'], { onProgress: (e) => events.push(e) })
  const mounts = proxy.requests.slice(before).filter((q) => q.method === 'POST' && /mount=/.test(q.path))
  t.equal(mounts.length, 2, 'both layers mounted')
  t.ok(mounts.every((q) => /from=mount%2Fsrc/.test(q.path)), 'from the source repository')
  const layerDigests = (await fromReg.manifest()).layers.map((l) => l.digest).sort()
  t.same(events.filter((e) => e.kind === 'mount').map((e) => e.digest).sort(), layerDigests)
  // The config is small and usually new in a derived image: it is uploaded, not mounted.
  t.same(events.filter((e) => e.kind === 'upload' && e.done).map((e) => e.digest), [(await fromReg.manifest()).config.digest])

  // From a layout (sources oci:...) with a foreign mountFrom: uploads, no mount attempt.
  const lay = await layout(t)
  await pushImage(lay, await randomImage(1, 512), ['v1'])
  const fromLayout = await fetchImage(lay, 'v1')
  const before2 = proxy.requests.length
  await pushImage(repoAt('mount/dst2'), fromLayout, ['v1'], { mountFrom: ['127.0.0.1:1/other'] })
  const tried = proxy.requests.slice(before2).filter((q) => /mount=/.test(q.path))
  t.same(tried, [], 'no mount tried from a layout or another registry')
})

t.test('a layer upload that keeps failing leaves no tag and no manifest', async (t) => {
  const img = await randomImage(3, 1024)
  const victim = (await img.manifest()).layers[1]!.digest
  const hex = victim.slice('sha256:'.length)
  proxy.setRules([{ match: { method: 'PUT', path: new RegExp(`/blobs/uploads/.*digest=sha256(%3A|:)${hex}`) }, action: { status: 500 } }])
  t.teardown(() => proxy.setRules([]))
  const r = repoAt('push/fails')
  await t.rejects(pushImage(r, img, ['v1']), { message: new RegExp(`push blob ${victim}`) })
  t.ok(proxy.requests.some((q) => q.fault === 0), 'the fault fired')
  t.equal(await tagExists(r, 'v1'), false, 'the tag was not written')
  t.equal(await tagExists(r, await img.digest()), false, 'nor the manifest by digest')
  t.equal(proxy.requests.filter((q) => q.method === 'PUT' && /\/manifests\//.test(q.path) && /push\/fails/.test(q.path)).length, 0)
})

t.test('allOrStop: waits for every job; the first failure aborts the others\' signal and is what is thrown', async (t) => {
  const order: string[] = []
  const slow = (name: string) => (signal: AbortSignal): Promise<string> => new Promise((resolve) => {
    // An upload stopping at its next chunk boundary: it settles a little after the abort.
    signal.addEventListener('abort', () => setTimeout(() => {
      order.push(`${name} stopped`)
      resolve(name)
    }, 20))
  })
  const failing = async (): Promise<string> => {
    await new Promise((ok) => setTimeout(ok, 5))
    order.push('failed')
    throw new Error('403 on the config')
  }
  const late = async (): Promise<string> => {
    await new Promise((ok) => setTimeout(ok, 15))
    throw new Error('a later failure')
  }
  await t.rejects(allOrStop(undefined, [slow('a'), late, failing, slow('b')]), { message: '403 on the config' })
  t.same(order, ['failed', 'a stopped', 'b stopped'], 'rejected only once the others had stopped')

  t.same(await allOrStop(undefined, [async () => 1, async () => 2]), [1, 2])
  const parent = new AbortController()
  const all = allOrStop(parent.signal, [slow('c'), slow('d')])
  parent.abort(new Error('SIGTERM'))
  t.same(await all, ['c', 'd'], 'the caller\'s signal reaches every job')
  const gone = new AbortController()
  gone.abort()
  t.same(await allOrStop(gone.signal, [async (s) => s.aborted]), [true], 'already aborted')
})

t.test('allOrStop: an image of 16 layers, each upload listening on the shared signal, prints no listener-leak warning (seen in `lading build`\'s output)', async (t) => {
  const warnings: string[] = []
  const onWarning = (w: Error): void => { warnings.push(w.name) }
  process.on('warning', onWarning)
  t.teardown(() => { process.off('warning', onWarning) })
  const job = (signal: AbortSignal): Promise<number> => {
    const listener = (): void => {}
    signal.addEventListener('abort', listener)
    return new Promise((resolve) => setTimeout(() => { signal.removeEventListener('abort', listener); resolve(1) }, 5))
  }
  t.same(await allOrStop(new AbortController().signal, Array.from({ length: 16 }, () => job)), Array(16).fill(1))
  await new Promise((ok) => setImmediate(ok))
  t.notOk(warnings.includes('MaxListenersExceededWarning'), 'no MaxListenersExceededWarning')
})
