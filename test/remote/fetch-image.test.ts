import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { imageFromParts, type Image } from '../../lib/image/index.js'
import { openLayout, type LayoutRepository } from '../../lib/layout/index.js'
import { sha256 } from '../../lib/digest/index.js'
import { MediaTypes, encodeJson, type Descriptor, type Platform, type Repository } from '../../lib/oci/index.js'
import { fetchImage, imageFromManifest, isNotFound, narrowToImage } from '../../lib/remote/index.js'
import type { ImageManifest, Parsed } from '../../lib/oci/index.js'
import { randomLayer } from '../helpers/random.js'
import { storeImage } from '../helpers/store-image.js'
import { validateImage } from '../helpers/validate.js'

type T = { teardown(fn: () => unknown): void }

async function layout(t: T): Promise<LayoutRepository> {
  const dir = await mkdtemp(join(tmpdir(), 'lading-fetch-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return openLayout(dir, { create: true })
}

async function platformImage(platform: Pick<Platform, 'os' | 'architecture' | 'variant'>): Promise<Image> {
  return imageFromParts({ platform, created: '1980-01-01T00:00:01Z', layers: [await randomLayer(64)] })
}

/** Stores `entries` as an index in `repo` (by digest, and under `tag` when given); returns its descriptor. */
async function storeIndex(repo: Repository, entries: Descriptor[], tag?: string): Promise<Descriptor> {
  const bytes = encodeJson({ schemaVersion: 2, mediaType: MediaTypes.OCI_INDEX, manifests: entries })
  const d: Descriptor = { mediaType: MediaTypes.OCI_INDEX, digest: sha256(bytes), size: bytes.length }
  await repo.manifests.put(d.digest, bytes, d.mediaType)
  if (tag) await repo.manifests.put(tag, bytes, d.mediaType)
  return d
}

async function entry(repo: Repository, image: Image, platform?: Platform): Promise<Descriptor> {
  const d = await storeImage(repo, image, [])
  return platform ? { ...d, platform } : d
}

t.test('a tag naming an image manifest gives that image, valid end to end', async (t) => {
  const repo = await layout(t)
  const img = await platformImage({ os: 'linux', architecture: 'amd64' })
  const d = await storeImage(repo, img, ['v1'])
  const got = await fetchImage(repo, 'v1', { platform: { os: 'linux', architecture: 'arm64' } })
  t.equal(await got.digest(), d.digest, 'a plain manifest is not checked against the platform')
  await validateImage(got)
  t.same((await got.layers())[0]!.sources?.(), [repo.name], 'layers name their repository')
})

t.test('an index is narrowed to the platform asked for; arm64/v8 matches arm64', async (t) => {
  const repo = await layout(t)
  const amd = await platformImage({ os: 'linux', architecture: 'amd64' })
  const arm = await platformImage({ os: 'linux', architecture: 'arm64' })
  await storeIndex(repo, [
    { mediaType: MediaTypes.OCI_MANIFEST, digest: sha256(Buffer.from('attestation')), size: 11,
      platform: { os: 'unknown', architecture: 'unknown' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } },
    await entry(repo, amd, { os: 'linux', architecture: 'amd64' }),
    await entry(repo, arm, { os: 'linux', architecture: 'arm64', variant: 'v8' }),
  ], 'multi')
  const a = await fetchImage(repo, 'multi', { platform: { os: 'linux', architecture: 'amd64' } })
  t.equal(await a.digest(), await amd.digest())
  const b = await fetchImage(repo, 'multi', { platform: { os: 'linux', architecture: 'arm64' } })
  t.equal(await b.digest(), await arm.digest(), 'arm64 with variant v8 is arm64')
  const c = await fetchImage(repo, 'multi', { platform: { os: 'linux', architecture: 'aarch64', variant: 'v8' } })
  t.equal(await c.digest(), await arm.digest())
  await validateImage(b)
})

t.test('no matching platform: ERR_PLATFORM_NOT_FOUND listing what the index has', async (t) => {
  const repo = await layout(t)
  await storeIndex(repo, [
    { mediaType: MediaTypes.OCI_MANIFEST, digest: sha256(Buffer.from('att')), size: 3,
      platform: { os: 'unknown', architecture: 'unknown' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } },
    await entry(repo, await platformImage({ os: 'linux', architecture: 'amd64' }), { os: 'linux', architecture: 'amd64' }),
    await entry(repo, await platformImage({ os: 'linux', architecture: 'arm', variant: 'v7' }), { os: 'linux', architecture: 'arm', variant: 'v7' }),
  ], 'multi')
  const err = await fetchImage(repo, 'multi', { platform: { os: 'linux', architecture: 's390x' } }).catch((e: unknown) => e)
  t.match(err, { code: 'ERR_PLATFORM_NOT_FOUND' })
  t.match((err as Error).message, /linux\/s390x/)
  t.match((err as Error).message, /\(available: linux\/amd64, linux\/arm\/v7\)/, 'attestations are not offered')
  const none = await storeIndex(repo, [])
  await t.rejects(fetchImage(repo, none.digest, { platform: { os: 'linux', architecture: 'amd64' } }), { message: /available: none/ })
})

t.test('a nested index is followed to the image; nesting is bounded', async (t) => {
  const repo = await layout(t)
  const img = await platformImage({ os: 'linux', architecture: 'amd64' })
  const amd = { os: 'linux', architecture: 'amd64' }
  const inner = await storeIndex(repo, [await entry(repo, img, amd)])
  await storeIndex(repo, [{ ...inner, platform: amd }], 'outer')
  const got = await fetchImage(repo, 'outer', { platform: amd })
  t.equal(await got.digest(), await img.digest())
  // An index pointing at itself through five levels is refused, not followed forever.
  let cur = inner
  for (let i = 0; i < 5; i++) cur = await storeIndex(repo, [{ ...cur, platform: amd }])
  await t.rejects(fetchImage(repo, cur.digest, { platform: amd }), { code: 'ERR_MANIFEST_INVALID', message: /nesting/ })
})

t.test('narrowToImage returns an image manifest unchanged', async (t) => {
  const repo = await layout(t)
  const img = await platformImage({ os: 'linux', architecture: 'amd64' })
  await storeImage(repo, img, ['x'])
  const top = await repo.manifests.get('x')
  t.equal(await narrowToImage(repo, top, { os: 'windows', architecture: 'amd64' }), top)
})

t.test('the config is read lazily and once; layer bytes are not read by fetchImage', async (t) => {
  const repo = await layout(t)
  const img = await platformImage({ os: 'linux', architecture: 'amd64' })
  const d = await storeImage(repo, img, ['v1'])
  const opened: string[] = []
  const counting: Repository = {
    name: repo.name,
    manifests: repo.manifests,
    tags: () => repo.tags(),
    blobs: {
      stat: (x) => repo.blobs.stat(x),
      put: (b, e, o) => repo.blobs.put(b, e, o),
      open: (desc, s) => {
        opened.push(desc.digest)
        return repo.blobs.open(desc, s)
      },
    },
  }
  const got = await fetchImage(counting, d.digest)
  t.same(opened, [], 'nothing opened yet')
  await got.manifest()
  t.same(opened, [], 'the manifest needs no blob')
  await got.layers()
  const [c1, c2, cfg] = await Promise.all([got.rawConfig(), got.rawConfig(), got.config()])
  t.same(Buffer.from(c1), Buffer.from(await img.rawConfig()))
  t.same(Buffer.from(c2), Buffer.from(c1))
  t.ok(cfg.rootfs)
  const configDigest = (await img.manifest()).config.digest
  t.same(opened, [configDigest], 'config opened exactly once')
})

t.test('imageFromManifest over a parsed manifest; a missing tag is a not-found error', async (t) => {
  const repo = await layout(t)
  const img = await platformImage({ os: 'linux', architecture: 'amd64' })
  await storeImage(repo, img, ['v1'])
  const parsed = await repo.manifests.get('v1') as Parsed<ImageManifest>
  await validateImage(imageFromManifest(repo, parsed))
  const err = await fetchImage(repo, 'nope').catch((e: unknown) => e)
  t.ok(isNotFound(err), `not found: ${String(err)}`)
})
