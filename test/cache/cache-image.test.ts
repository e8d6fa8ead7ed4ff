import t from 'tap'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { sha256 } from '../../lib/digest/index.js'
import { emptyImage, appendLayers } from '../../lib/image/index.js'
import { openLayout } from '../../lib/layout/index.js'
import { imageCache } from '../../lib/cache/cache-image.js'
import { hostPlatform } from '../../lib/oci/index.js'
import { LABELS } from '../../lib/platform/index.js'
import { createRegistryClient } from '../../lib/registry/index.js'
import { fetchImage, pushImage } from '../../lib/remote/index.js'
import { startRegistry, type RegistryFixture } from '../../registry-fixtures/index.js'
import { workDir } from '../helpers/work-dir.js'
import { cacheLayer, cacheMetadata, readAll } from './fixtures.js'

let work: string
t.before(async () => { work = await workDir(t, 'cimg') })

const store = (): string => join(work, 'store')
const mkLayer = (name: string, content: string) => cacheLayer(store(), name, content)
const md = (sha: string) => cacheMetadata(sha, { k: 'v' }, true)

t.test('no previous cache image: empty metadata, nothing to open or reuse', async (t) => {
  const repo = await openLayout(join(work, 'l0'), { create: true })
  const c = imageCache({ repo, tag: 'cache', display: 'oci:l0:cache' })
  t.equal(c.kind, 'image')
  t.equal(c.describe(), 'oci:l0:cache')
  t.same(await c.metadata(), { buildpacks: [] })
  const a = await mkLayer('a', 'a')
  t.equal(await c.open(a.diffIdValue), undefined)
  t.equal(await c.reuse(a.diffIdValue), undefined)
})

t.test('saving nothing writes one 1024-byte empty tar layer (registries reject layerless images)', async (t) => {
  const repo = await openLayout(join(work, 'l1'), { create: true })
  await imageCache({ repo, tag: 'cache', display: 'c' }).save([], md('sha256:' + '0'.repeat(64)))
  const img = await fetchImage(repo, 'cache')
  const layers = await img.layers()
  t.equal(layers.length, 1)
  const tar = await readAll(await layers[0]!.uncompressed())
  t.equal(tar.length, 1024)
  t.ok(tar.every((b) => b === 0))
  t.equal((await img.config()).rootfs.diff_ids[0], sha256(new Uint8Array(1024)))
  const cfg = await img.config()
  t.equal(cfg.os, hostPlatform().os, 'no previous: host platform')
  t.equal(cfg.architecture, hostPlatform().architecture)
  t.same(await imageCache({ repo, tag: 'cache', display: 'c' }).metadata(), md('sha256:' + '0'.repeat(64)), 'label round trip')
})

t.test('layers are found by diffID; reuse keeps the same blob; unknown diffIDs are absent', async (t) => {
  const repo = await openLayout(join(work, 'l2'), { create: true })
  const a = await mkLayer('a', 'aaaa')
  const b = await mkLayer('b', 'bbbb')
  await imageCache({ repo, tag: 'cache', display: 'c' }).save([{ layer: a }, { layer: b }], md(a.diffIdValue))
  const c = imageCache({ repo, tag: 'cache', display: 'c' })
  t.same(await c.metadata(), md(a.diffIdValue))
  t.same(await readAll(await c.open(b.diffIdValue)), await readAll(await b.uncompressed()))
  const kept = (await c.reuse(a.diffIdValue))!
  t.equal(await kept.digest(), a.digestValue, 'the stored blob, by digest')
  t.equal(await c.reuse((await mkLayer('x', 'x')).diffIdValue), undefined)
  t.equal(await c.open('sha256:' + '9'.repeat(64) as never), undefined)
  const n = await mkLayer('n', 'new')
  await c.save([{ layer: kept }, { layer: n }], { buildpacks: [] })
  const img = await fetchImage(repo, 'cache')
  t.same((await img.config()).rootfs.diff_ids, [a.diffIdValue, n.diffIdValue], 'b dropped; order kept')
  t.same((await img.manifest()).layers.map((l) => l.digest), [a.digestValue, n.digestValue])
  t.same((await img.config()).config?.Labels, { [LABELS.CACHE_METADATA]: JSON.stringify({ buildpacks: [] }) })
  t.equal((await img.config()).history?.length, 2)
})

t.test('the next cache image keeps the previous one\'s platform', async (t) => {
  const repo = await openLayout(join(work, 'l3'), { create: true })
  const other = hostPlatform().architecture === 's390x' ? 'riscv64' : 's390x'
  const prev = appendLayers(emptyImage({ os: 'linux', architecture: other }), { layer: await mkLayer('p', 'p') })
  await pushImage(repo, prev, ['cache'])
  const c = imageCache({ repo, tag: 'cache', display: 'c' })
  t.same(await c.metadata(), { buildpacks: [] }, 'an image with no label: empty metadata')
  await c.save([], { buildpacks: [] })
  t.equal((await (await fetchImage(repo, 'cache', { platform: { os: 'linux', architecture: other } })).config()).architecture, other)
})

t.test('a broken cache image is an error, not "no cache"', async (t) => {
  const repo = await openLayout(join(work, 'l4'), { create: true })
  await pushImage(repo, appendLayers(emptyImage(hostPlatform()), { layer: await mkLayer('q', 'q') }), ['cache'])
  const manifest = (await repo.manifests.get('cache')).value as { config: { digest: string } }
  await rm(join(work, 'l4', 'blobs', 'sha256', manifest.config.digest.slice(7)))
  await t.rejects(imageCache({ repo, tag: 'cache', display: 'my-cache' }).metadata(), { code: 'ERR_NOT_FOUND', message: /blob sha256:/ })
})

t.test('registry: a missing repository is a first build; save pushes, mounting from the app repository', async (t) => {
  let reg: RegistryFixture | undefined
  const client = createRegistryClient()
  try {
    reg = await startRegistry({ variant: 'http' })
    const app = client.repository({ registry: reg.host, repository: 'app' })
    const cacheRepo = client.repository({ registry: reg.host, repository: 'app-cache' })
    const a = await mkLayer('a', 'launch+cache')
    await pushImage(app, appendLayers(emptyImage(hostPlatform()), { layer: a }), ['latest'])
    const c = imageCache({ repo: cacheRepo, tag: 'latest', display: `${reg.host}/app-cache:latest`, mountFrom: [app.name] })
    t.same(await c.metadata(), { buildpacks: [] })
    t.equal(await c.reuse(a.diffIdValue), undefined)
    const before = client.stats.blobsMounted
    await c.save([{ layer: a }], md(a.diffIdValue))
    t.equal(client.stats.blobsMounted - before, 1, 'the layer blob was mounted, not uploaded')
    const again = imageCache({ repo: cacheRepo, tag: 'latest', display: 'x' })
    t.same(await again.metadata(), md(a.diffIdValue))
    t.same(await readAll(await again.open(a.diffIdValue)), await readAll(await a.uncompressed()))
  } finally {
    await client.close()
    await reg?.stop()
  }
})
