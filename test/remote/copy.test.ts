import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FaultProxy } from '../../registry-fixtures/index.js'
import { sha256, type Digest } from '../../lib/digest/index.js'
import { imageFromParts, type Image } from '../../lib/image/index.js'
import { openLayout, type LayoutRepository } from '../../lib/layout/index.js'
import { encodeJson, MediaTypes, parseReference, type Descriptor, type Platform, type Repository, type TransferEvent } from '../../lib/oci/index.js'
import type { RegistryClient } from '../../lib/registry/index.js'
import { copyImage, fetchImage, pushImage } from '../../lib/remote/index.js'
import { randomLayer } from '../helpers/random.js'
import { registryClientEnv } from '../helpers/registry-env.js'
import { validateImage } from '../helpers/validate.js'

type T = { teardown(fn: () => unknown): void }

let proxy: FaultProxy
let client: RegistryClient

t.before(async () => { ({ proxy, client } = await registryClientEnv(t, 'remote', { retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5 } })) })

const repoAt = (path: string): Repository => client.repository(parseReference(`${proxy.host}/${path}`))
const AMD: Platform = { os: 'linux', architecture: 'amd64' }
const ARM: Platform = { os: 'linux', architecture: 'arm64' }

async function layout(t: T): Promise<LayoutRepository> {
  const dir = await mkdtemp(join(tmpdir(), 'lading-copy-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return openLayout(dir, { create: true })
}

async function image(platform: Platform, layers = 2): Promise<Image> {
  const ls = []
  for (let i = 0; i < layers; i++) ls.push(await randomLayer(512))
  return imageFromParts({ platform, created: '1980-01-01T00:00:01Z', layers: ls })
}

/** Pushes one image per platform and an index over them, tagged `tag`; returns the index descriptor and children. */
async function multiArch(repo: Repository, tag: string): Promise<{ index: Descriptor; children: Descriptor[]; images: Image[] }> {
  const images = [await image(AMD), await image(ARM)]
  const children: Descriptor[] = []
  for (const [i, img] of images.entries()) children.push({ ...await pushImage(repo, img, []), platform: i === 0 ? AMD : ARM })
  const bytes = encodeJson({ schemaVersion: 2, mediaType: MediaTypes.OCI_INDEX, manifests: children })
  const index: Descriptor = { mediaType: MediaTypes.OCI_INDEX, digest: sha256(bytes), size: bytes.length }
  await repo.manifests.put(tag, bytes, index.mediaType)
  return { index, children, images }
}

/** Logs manifest puts of `repo` in order. */
function logging(repo: Repository, log: string[]): Repository {
  return {
    name: repo.name,
    tags: () => repo.tags(),
    blobs: repo.blobs,
    manifests: {
      resolve: (r, s) => repo.manifests.resolve(r, s),
      get: (r, s) => repo.manifests.get(r, s),
      put: async (ref, bytes, mt, s) => {
        log.push(ref)
        return repo.manifests.put(ref, bytes, mt, s)
      },
    },
  }
}

t.test('layout → layout keeps the manifest bytes; blobs already there are skipped', async (t) => {
  const src = await layout(t)
  const dst = await layout(t)
  const img = await image(AMD)
  await pushImage(src, img, ['v1'])
  const desc = await copyImage(src, 'v1', dst, ['a', 'b'])
  t.equal(desc.digest, await img.digest())
  t.same(Buffer.from((await dst.manifests.get('b')).bytes), Buffer.from(await img.rawManifest()))
  await validateImage(await fetchImage(dst, 'a'))
  const events: TransferEvent[] = []
  await copyImage(src, 'v1', dst, ['c'], { onProgress: (e) => events.push(e) })
  t.same(events.map((e) => e.kind), ['exists', 'exists', 'exists'], 'second copy moves no blob')
})

t.test('an index is narrowed to one platform unless all platforms are asked for', async (t) => {
  const src = await layout(t)
  const { index, children, images } = await multiArch(src, 'multi')
  const one = await layout(t)
  const d = await copyImage(src, 'multi', one, ['v1'], { platform: ARM })
  t.equal(d.digest, children[1]!.digest)
  t.equal(await (await fetchImage(one, 'v1')).digest(), await images[1]!.digest())
  t.equal(await one.blobs.stat((await images[0]!.manifest()).layers[0]!.digest), undefined, 'the other platform is not copied')
  await t.rejects(copyImage(src, 'multi', one, ['x'], { platform: { os: 'linux', architecture: 's390x' } }), { code: 'ERR_PLATFORM_NOT_FOUND' })

  const all = await layout(t)
  const log: string[] = []
  const top = await copyImage(src, 'multi', logging(all, log), ['v1'], { allPlatforms: true })
  t.equal(top.digest, index.digest, 'index digest kept')
  t.same(log, [children[0]!.digest, children[1]!.digest, 'v1'], 'children first by digest, then the index by its one tag')
  const log2: string[] = []
  await copyImage(src, 'multi', logging(all, log2), ['v2', 'v3'], { allPlatforms: true })
  t.same(log2, [children[0]!.digest, children[1]!.digest, index.digest, 'v2', 'v3'], 'several tags: the index by digest first, then each tag')
  for (const p of [AMD, ARM]) await validateImage(await fetchImage(all, 'v1', { platform: p }))
})

t.test('registry → registry: same-registry blobs are mounted, digest kept', async (t) => {
  const src = repoAt('copy/src')
  const { index } = await multiArch(src, 'multi')
  const events: TransferEvent[] = []
  const d = await copyImage(src, 'multi', repoAt('copy/dst'), ['multi'], { allPlatforms: true, onProgress: (e) => events.push(e) })
  t.equal(d.digest, index.digest)
  t.equal(events.filter((e) => e.kind === 'upload').length, 0, 'no upload')
  t.equal(events.filter((e) => e.kind === 'mount').length, 6, 'two configs and four layers mounted')
  t.equal((await repoAt('copy/dst').manifests.resolve('multi'))?.digest, index.digest)
})

t.test('one image inside one registry: a mount per blob and no HEAD, the manifest by its one tag; again: the same mounts', async (t) => {
  const src = repoAt('copy/one-src')
  await pushImage(src, await image(AMD, 2), ['v1'])
  const kinds = (from: number): string[] => proxy.requests.slice(from)
    .map((q) => `${q.method} ${q.path.replace(/sha256(:|%3A)[0-9a-f]{64}/g, 'D').replace(/\?mount=.*/, '?mount')}`)
  for (const tag of ['a', 'b']) {
    const mark = proxy.requests.length
    await copyImage(src, 'v1', repoAt('copy/one-dst'), [tag])
    t.same(kinds(mark).sort(), [
      'GET /v2/copy/one-src/manifests/v1', 'POST /v2/copy/one-dst/blobs/uploads/?mount', 'POST /v2/copy/one-dst/blobs/uploads/?mount',
      'POST /v2/copy/one-dst/blobs/uploads/?mount', `PUT /v2/copy/one-dst/manifests/${tag}`,
    ], `copy to :${tag}: 5 requests`)
  }
})

t.test('a failure part-way through the copy moves no tag', async (t) => {
  const src = await layout(t)
  const { images } = await multiArch(src, 'multi')
  const dst = repoAt('copy/fail')
  const old = await pushImage(dst, await image(AMD, 1), ['v1'])
  const victim = (await images[1]!.manifest()).layers[1]!.digest.slice('sha256:'.length)
  proxy.setRules([{ match: { method: 'PUT', path: new RegExp(`/copy/fail/blobs/uploads/.*digest=sha256(%3A|:)${victim}`) }, action: { status: 500 } }])
  t.teardown(() => proxy.setRules([]))
  const before = proxy.requests.length
  await t.rejects(copyImage(src, 'multi', dst, ['v1'], { allPlatforms: true }), { message: /push blob/ })
  t.ok(proxy.requests.slice(before).some((q) => q.fault === 0), 'the fault fired')
  t.equal((await dst.manifests.resolve('v1'))?.digest, old.digest, 'the tag still names the old image')
  const puts = proxy.requests.slice(before).filter((q) => q.method === 'PUT' && /\/manifests\//.test(q.path)).map((q) => q.path)
  t.equal(puts.length, 1, 'only the first child manifest (by digest) was written')
  t.match(puts[0], /\/manifests\/sha256:/)
})

t.test('layout → registry: each blob file is read in place (not through open), bytes intact', async (t) => {
  const src = await layout(t)
  const img = await image(AMD, 2)
  await pushImage(src, img, ['one'])
  let opened = 0
  const counting: Repository = {
    ...src, name: src.name, tags: () => src.tags(), manifests: src.manifests,
    blobs: { stat: (d) => src.blobs.stat(d), put: (b, e, o) => src.blobs.put(b, e, o), path: (d: Digest) => src.blobs.path(d),
      open: (d, s) => { opened++; return src.blobs.open(d, s) } },
  }
  const dst = repoAt('copy/from-files')
  const d = await copyImage(counting, 'one', dst, ['one'])
  t.equal(opened, 0, 'no blob read through open')
  t.equal(d.digest, (await img.descriptor()).digest)
  await validateImage(await fetchImage(dst, 'one'))
})
