import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { sha256 } from '../../lib/digest/index.js'
import { openLayout, type LayoutRepository } from '../../lib/layout/index.js'
import { MediaTypes, type Descriptor, type MediaType } from '../../lib/oci/index.js'
import { remoteLayer } from '../../lib/remote/index.js'
import { makeTar } from '../helpers/random.js'
import { hashStream } from '../helpers/validate.js'

type T = { teardown(fn: () => unknown): void }

async function layout(t: T): Promise<LayoutRepository> {
  const dir = await mkdtemp(join(tmpdir(), 'lading-rlayer-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return openLayout(dir, { create: true })
}

async function stored(repo: LayoutRepository, bytes: Buffer, mediaType: MediaType, extra: Partial<Descriptor> = {}): Promise<Descriptor> {
  const d: Descriptor = { mediaType, digest: sha256(bytes), size: bytes.length, ...extra }
  await repo.blobs.put(bytes, d)
  return d
}

t.test('gzip layers (OCI and Docker) are gunzipped; digests come from the descriptor', async (t) => {
  const repo = await layout(t)
  const tar = await makeTar({ 'a.txt': 'hello' })
  for (const mt of [MediaTypes.OCI_LAYER_GZIP, MediaTypes.DOCKER_LAYER_GZIP]) {
    const d = await stored(repo, gzipSync(tar), mt)
    const l = remoteLayer(repo, d, sha256(tar))
    t.equal(l.mediaType, mt)
    t.equal(await l.digest(), d.digest)
    t.equal(await l.size(), d.size)
    t.equal(await l.diffId(), sha256(tar))
    t.same(await hashStream(await l.uncompressed()), { digest: sha256(tar), size: tar.length })
    t.same(await hashStream(await l.compressed()), { digest: d.digest, size: d.size }, 'stored bytes as they are')
    t.same(await hashStream(await l.uncompressed()), { digest: sha256(tar), size: tar.length }, 'opens again')
    t.same(l.sources?.(), [repo.name])
  }
})

t.test('an uncompressed tar layer is returned as stored', async (t) => {
  const repo = await layout(t)
  const tar = await makeTar({ 'b.txt': 'plain' })
  const d = await stored(repo, tar, MediaTypes.OCI_LAYER)
  const l = remoteLayer(repo, d, d.digest)
  t.same(await hashStream(await l.uncompressed()), { digest: d.digest, size: tar.length })
})

t.test('an unknown layer type cannot be decompressed: ERR_MEDIA_TYPE_UNSUPPORTED', async (t) => {
  const repo = await layout(t)
  const d = await stored(repo, Buffer.from('zstd-ish bytes'), MediaTypes.OCI_LAYER_ZSTD)
  const l = remoteLayer(repo, d, d.digest)
  await t.rejects(l.uncompressed(), { code: 'ERR_MEDIA_TYPE_UNSUPPORTED', message: /zstd/ })
  t.same(await hashStream(await l.compressed()), { digest: d.digest, size: d.size }, 'compressed bytes still readable')
})

t.test('corrupt gzip fails the stream; annotations and urls are carried as extras', async (t) => {
  const repo = await layout(t)
  const d = await stored(repo, Buffer.from('not gzip at all'), MediaTypes.OCI_LAYER_GZIP,
    { annotations: { k: 'v' }, urls: ['https://example.invalid/x'] })
  const l = remoteLayer(repo, d, d.digest)
  await t.rejects(hashStream(await l.uncompressed()))
  t.same(l.descriptorExtras?.(), { annotations: { k: 'v' }, urls: ['https://example.invalid/x'] })
  const plain = remoteLayer(repo, { ...d, annotations: undefined, urls: undefined } as unknown as Descriptor, d.digest)
  t.same(plain.descriptorExtras?.(), {})
})

t.test('a missing blob fails when opened, not when the layer is made', async (t) => {
  const repo = await layout(t)
  const bytes = Buffer.from('absent')
  const l = remoteLayer(repo, { mediaType: MediaTypes.OCI_LAYER_GZIP, digest: sha256(bytes), size: bytes.length }, sha256(bytes))
  await t.rejects(l.uncompressed(), { code: 'ERR_NOT_FOUND' })
})
