import t, { type Test } from 'tap'
import { join } from 'node:path'
import type { Digest } from '../../lib/digest/index.js'
import { MediaTypes } from '../../lib/oci/index.js'
import { missingBlobs } from '../../lib/registry/manifest-blobs.js'
import { RegistryError } from '../../lib/registry/index.js'
import { blob, client, manifestBytes, proxy, registry } from './fixture-helpers.js'

const reg = await registry(t)
const seed = client(t, reg)
const base = seed.repository({ registry: reg.host, repository: 'mb/base' })
const l1 = blob(500)
const l2 = blob(600)
await base.blobs.put(l1.bytes, { digest: l1.digest })
await base.blobs.put(l2.bytes, { digest: l2.digest })

/** A fresh app repository holding l1 only, a config to write, and the manifest naming config, l1, l2. */
async function world(t: Test, name: string, opts: { rules?: Parameters<typeof proxy>[2]; file?: string; p?: Awaited<ReturnType<typeof proxy>> } = {}) {
  const p = opts.p ?? await proxy(t, reg.url, opts.rules ?? [])
  const c = client(t, reg, { host: p.host, capabilitiesFile: opts.file ?? join(t.testdir(), 'registries.json') })
  const repo = c.repository({ registry: p.host, repository: `mb/${name}` })
  await repo.blobs.mount(l1.digest, 'mb/base')
  const config = blob(50)
  const bytes = manifestBytes(config, [l1, l2])
  const calls: string[][] = []
  const supply = async (ds: Digest[]): Promise<void> => {
    calls.push(ds)
    for (const d of ds) {
      if (d === config.digest) await repo.blobs.put(config.bytes, { digest: config.digest })
      else await repo.blobs.mount(d, 'mb/base')
    }
  }
  const kinds = (from: number): string[] => p.requests.slice(from).map((r) => `${r.method} ${r.path.replace(/sha256:[0-9a-f]{64}|sha256%3A[0-9a-f]{64}/g, 'D').replace(/uploads\/[^?]+\?.*/, 'uploads/S')} ${r.status}`)
  return { p, c, repo, config, bytes, supply, calls, kinds }
}

t.test('a registry not yet known to check: the manifest goes by digest first, its refusal names what to supply, then the tag', async (t) => {
  const file = join(t.testdir(), 'registries.json')
  const w = await world(t, 'a', { file })
  const mark = w.p.requests.length
  const r = await w.repo.manifests.putWithBlobs!('v1', w.bytes, MediaTypes.OCI_MANIFEST, { unsure: [w.config.digest, l1.digest, l2.digest], supply: w.supply })
  t.same(w.calls, [[w.config.digest, l2.digest]], 'l1, already there, is never supplied')
  t.same(r.supplied, [w.config.digest, l2.digest])
  t.equal(r.asked, true)
  t.same(w.kinds(mark), [
    'PUT /v2/mb/a/manifests/D 400', 'HEAD /v2/mb/a/blobs/D 404', 'POST /v2/mb/a/blobs/uploads/ 202', 'PUT /v2/mb/a/blobs/uploads/S 201',
    'POST /v2/mb/a/blobs/uploads/?mount=D&from=mb%2Fbase 201', 'PUT /v2/mb/a/manifests/v1 201',
  ])
  // The fact is kept: the next client sends the manifest by tag first.
  await w.c.close()
  const again = await world(t, 'a2', { file, p: w.p })
  const m2 = again.p.requests.length
  await again.repo.manifests.putWithBlobs!('v1', again.bytes, MediaTypes.OCI_MANIFEST, { unsure: [again.config.digest, l2.digest], supply: again.supply })
  t.same(again.kinds(m2).filter((k) => k.includes('manifests')), ['PUT /v2/mb/a2/manifests/v1 400', 'PUT /v2/mb/a2/manifests/v1 201'])
  const m3 = again.p.requests.length
  const r3 = await again.repo.manifests.putWithBlobs!('v2', again.bytes, MediaTypes.OCI_MANIFEST, { unsure: [again.config.digest, l2.digest], supply: again.supply })
  t.same(again.kinds(m3), ['PUT /v2/mb/a2/manifests/v2 201'], 'everything there: one request')
  t.same(r3, { descriptor: r3.descriptor, supplied: [], asked: true })
})

t.test('probes that teach nothing stop after two; then every unsure blob is supplied first', async (t) => {
  const w = await world(t, 'b')
  await w.supply([w.config.digest, l2.digest])
  w.calls.length = 0
  for (const tag of ['v1', 'v2', 'v3']) {
    const mark = w.p.requests.length
    const r = await w.repo.manifests.putWithBlobs!(tag, w.bytes, MediaTypes.OCI_MANIFEST, { unsure: [l2.digest], supply: w.supply })
    t.equal(r.asked, false)
    const puts = w.kinds(mark).filter((k) => k.includes('manifests'))
    t.same(puts, tag === 'v3' ? [`PUT /v2/mb/b/manifests/${tag} 201`] : ['PUT /v2/mb/b/manifests/D 201', `PUT /v2/mb/b/manifests/${tag} 201`], tag)
  }
  t.same(w.calls, [[l2.digest], [l2.digest], [l2.digest]], 'supplied every time: nothing proved it unnecessary')
})

t.test('a registry that takes manifests with holes never gets a tag on one', async (t) => {
  const w = await world(t, 'c', { rules: [{ match: { method: 'PUT', path: /manifests\/sha256/ }, action: { status: 201, body: '' } }] })
  const order: string[] = []
  const mark = w.p.requests.length
  await w.repo.manifests.putWithBlobs!('v1', w.bytes, MediaTypes.OCI_MANIFEST, { unsure: [w.config.digest, l2.digest], supply: async (ds) => {
    order.push(`supply ${w.p.requests.length - mark}`)
    await w.supply(ds)
  } })
  t.same(order, ['supply 1'], 'after the probe, before the tag')
  t.same(w.kinds(mark).at(-1), 'PUT /v2/mb/c/manifests/v1 201')
})

t.test('a blob named missing that is not ours to supply: the refusal stands and the tag does not move', async (t) => {
  const w = await world(t, 'd')
  const e = await w.repo.manifests.putWithBlobs!('v1', w.bytes, MediaTypes.OCI_MANIFEST, { unsure: [w.config.digest, l1.digest], supply: w.supply }).catch((x: unknown) => x)
  t.ok(e instanceof RegistryError)
  t.match((e as Error).message, /MANIFEST_BLOB_UNKNOWN/)
  t.same(w.calls, [])
  t.equal(await w.repo.manifests.resolve('v1'), undefined)
  // Only the config unsure, on a registry not yet known to check: it is written after a HEAD, and the refusal for l2 still stands.
  const w2 = await world(t, 'd2')
  const e2 = await w2.repo.manifests.putWithBlobs!('v1', w2.bytes, MediaTypes.OCI_MANIFEST, { unsure: [w2.config.digest], supply: w2.supply }).catch((x: unknown) => x)
  t.match((e2 as Error).message, /MANIFEST_BLOB_UNKNOWN/)
  t.same(w2.calls, [[w2.config.digest]])
  t.equal(await w2.repo.manifests.resolve('v1'), undefined)
})

t.test('only the config unsure and validation not known: a HEAD, not a probe by digest; a config already there costs 2 requests', async (t) => {
  const w = await world(t, 'e')
  await w.supply([l2.digest])
  // The config written as pushRebased writes it: POST and PUT, no HEAD of its own.
  const supply = async (ds: Digest[]): Promise<void> => {
    for (const d of ds) await w.repo.blobs.putNew!(w.config.bytes, { mediaType: MediaTypes.OCI_CONFIG, digest: d, size: w.config.bytes.length })
  }
  const mark = w.p.requests.length
  const r = await w.repo.manifests.putWithBlobs!('v1', w.bytes, MediaTypes.OCI_MANIFEST, { unsure: [w.config.digest], supply })
  t.same(w.kinds(mark), ['HEAD /v2/mb/e/blobs/D 404', 'POST /v2/mb/e/blobs/uploads/?digest=D 202', 'PUT /v2/mb/e/blobs/uploads/S 201', 'PUT /v2/mb/e/manifests/v1 201'])
  t.same(r.supplied, [w.config.digest])
  const m2 = w.p.requests.length
  const r2 = await w.repo.manifests.putWithBlobs!('v2', w.bytes, MediaTypes.OCI_MANIFEST, { unsure: [w.config.digest], supply })
  t.same(w.kinds(m2), ['HEAD /v2/mb/e/blobs/D 200', 'PUT /v2/mb/e/manifests/v2 201'], 'a rollback: the config is there')
  t.same(r2.supplied, [])
  t.equal(r2.asked, true)
})

t.test('missingBlobs reads digests from details and messages, and only from blob-unknown refusals', async (t) => {
  const d1 = `sha256:${'1'.repeat(64)}`
  const d2 = `sha256:${'2'.repeat(64)}`
  const err = (errors: object[], status = 400) => new RegistryError('ERR_REGISTRY_REQUEST', 'x', { status, method: 'PUT', url: 'http://r/v2/x', errors: errors as never })
  t.same(missingBlobs(err([{ code: 'MANIFEST_BLOB_UNKNOWN', message: 'blob unknown', detail: d1 }, { code: 'BLOB_UNKNOWN', message: `unknown ${d2}`, detail: { digest: d2 } }])), [d1, d2])
  t.same(missingBlobs(err([{ code: 'MANIFEST_BLOB_UNKNOWN', message: 'blob unknown' }])), [])
  t.equal(missingBlobs(err([{ code: 'MANIFEST_INVALID', message: d1 }])), undefined)
  t.equal(missingBlobs(err([{ code: 'MANIFEST_BLOB_UNKNOWN', message: d1 }], 404)), undefined)
  t.equal(missingBlobs(new Error(d1)), undefined)
})

t.test('ready: the HEAD goes out before the other blobs are written, the manifest PUT only after', async (t) => {
  const w = await world(t, 'f')
  await w.supply([w.config.digest])
  let release!: () => void
  const ready = new Promise<void>((resolve) => { release = resolve })
  const mark = w.p.requests.length
  const done = w.repo.manifests.putWithBlobs!('v1', w.bytes, MediaTypes.OCI_MANIFEST, { unsure: [w.config.digest], supply: w.supply, ready })
  while (w.p.requests.length === mark) await new Promise((r) => setTimeout(r, 5))
  await new Promise((r) => setTimeout(r, 50))
  t.same(w.kinds(mark), ['HEAD /v2/mb/f/blobs/D 200'], 'only the HEAD while the other blobs are being written')
  await w.supply([l2.digest]) // what `ready` stands for
  release()
  await done
  t.same(w.kinds(mark).filter((k) => k.includes('manifests')), ['PUT /v2/mb/f/manifests/v1 201'])
})
