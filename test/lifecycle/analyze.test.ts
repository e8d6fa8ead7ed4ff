import t from 'tap'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { appendLayers, emptyImage, withConfig, withLabels, type Image } from '../../lib/image/index.js'
import { layerFromEntries } from '../../lib/layer/index.js'
import { openLayout, type LayoutRepository } from '../../lib/layout/index.js'
import { analyze } from '../../lib/lifecycle/analyze.js'
import { dirCache } from '../../lib/cache/cache-dir.js'
import { PhaseError } from '../../lib/lifecycle/errors.js'
import { hostPlatform, type ImageIndex, type ImageManifest, type Parsed } from '../../lib/oci/index.js'
import { emptyLayersMetadata, encodeLifecycleMetadata, LABELS, type CacheMetadata } from '../../lib/platform/index.js'
import { createRegistryClient, type RegistryClient } from '../../lib/registry/index.js'
import { pushImage } from '../../lib/remote/index.js'
import { startRegistry, type RegistryFixture } from '../../registry-fixtures/index.js'
import { workDir } from '../helpers/work-dir.js'

let work: string
let layout: LayoutRepository
let run: Image
let reg: RegistryFixture
let client: RegistryClient
t.before(async () => {
  work = await workDir(t, 'analyze')
  layout = await openLayout(join(work, 'images'), { create: true })
  const layer = await layerFromEntries([{ path: '/etc/os-release', type: 'file', content: 'ID=test\n' }], { storeDir: join(work, 'store') })
  run = withLabels(appendLayers(emptyImage(hostPlatform()), { layer }), {
    [LABELS.BASE_ID]: 'io.lading.test', [LABELS.BASE_DISTRO_NAME]: 'busybox', [LABELS.BASE_DISTRO_VERSION]: '1',
  })
  await pushImage(layout, run, ['run'])
  const md = { ...emptyLayersMetadata(), buildpacks: [{ key: 'bp', version: '1', layers: { l: { sha: 'sha256:' + 'a'.repeat(64), build: false, launch: true, cache: false } } }] }
  await pushImage(layout, withLabels(run, { [LABELS.LIFECYCLE_METADATA]: encodeLifecycleMetadata(md) }), ['app'])
  await pushImage(layout, run, ['unlabelled'])
  await pushImage(layout, withLabels(run, { [LABELS.LIFECYCLE_METADATA]: '{not json' }), ['garbled'])
  await pushImage(layout, withConfig(run, (c) => ({ ...c, os: '' })), ['no-os'])
  reg = await startRegistry({ variant: 'http' })
  client = createRegistryClient()
})
t.teardown(async () => {
  await client?.close()
  await reg?.stop()
})

const src = (identifier: string) => ({ repo: layout, identifier, display: `oci:images:${identifier}` })

t.test('run image: target from its config and labels, digest reference; no previous, empty cache', async (t) => {
  const a = await analyze({ run: src('run'), clearCache: false })
  t.equal(await a.runImage.digest(), await run.digest())
  t.equal(a.runReference, `${layout.name}@${await run.digest()}`)
  t.same(a.runTarget, { os: 'linux', arch: hostPlatform().architecture, distro: { name: 'busybox', version: '1' } })
  t.equal(a.previous, undefined)
  t.same(a.cache, { buildpacks: [] })
  t.same(a.warnings, [])
  t.equal(a.layoutRunName, 'run', 'a layout run image is recorded by its ref name, never oci:/dir')
  const byDigest = await analyze({ run: src(await run.digest()), clearCache: false })
  t.equal(byDigest.layoutRunName, await run.digest(), 'or by its digest when it has none')
})

t.test('a run image store that keeps manifests is given the one the label will record', async (t) => {
  const kept: Parsed<ImageManifest | ImageIndex>[] = []
  const keeping = { ...layout, name: layout.name, blobs: layout.blobs, tags: (s?: AbortSignal) => layout.tags(s),
    manifests: { resolve: layout.manifests.resolve.bind(layout.manifests), get: layout.manifests.get.bind(layout.manifests),
      put: layout.manifests.put.bind(layout.manifests), keep: async (p: Parsed<ImageManifest | ImageIndex>) => { kept.push(p) } } }
  const a = await analyze({ run: { repo: keeping, identifier: 'run', display: 'run' }, clearCache: false })
  t.equal(kept.length, 1)
  t.equal(`${layout.name}@${kept[0]!.descriptor.digest}`, a.runReference)
  t.ok(Buffer.from(kept[0]!.bytes).equals(Buffer.from(await run.rawManifest())), 'its exact bytes')
  t.equal(kept[0]!.descriptor.mediaType, (await run.descriptor()).mediaType)
})

t.test('a missing run image is exit 30, in a layout and in a registry', async (t) => {
  await t.rejects(analyze({ run: src('nope'), clearCache: false }), { constructor: PhaseError, phase: 'analyze', exitCode: 30, message: /run image oci:images:nope/ })
  const repo = client.repository({ registry: reg.host, repository: 'missing/run' })
  await t.rejects(analyze({ run: { repo, identifier: 'v1', display: `${reg.host}/missing/run:v1` }, clearCache: false }), { exitCode: 30, message: /missing\/run:v1/ })
  await t.rejects(analyze({ run: src('no-os'), clearCache: false }), { exitCode: 30, message: /no "os"/ }, 'a run image with no os cannot give a target')
})

t.test('previous image: decoded when labelled; absent, unlabelled or garbled means none (with a warning)', async (t) => {
  const ok = await analyze({ run: src('run'), previous: src('app'), clearCache: false })
  t.same(ok.previous?.metadata.buildpacks[0]?.layers.l?.sha, 'sha256:' + 'a'.repeat(64))
  t.same(ok.warnings, [])
  const missing = await analyze({ run: src('run'), previous: src('never-built'), clearCache: false })
  t.equal(missing.previous, undefined)
  t.same(missing.warnings, [], 'a first build is not worth a warning')
  const repo = client.repository({ registry: reg.host, repository: 'app' })
  const inRegistry = await analyze({ run: src('run'), previous: { repo, identifier: 'latest', display: 'reg/app' }, clearCache: false })
  t.equal(inRegistry.previous, undefined, 'registry 404 is "no previous image"')
  const bare = await analyze({ run: src('run'), previous: src('unlabelled'), clearCache: false })
  t.equal(bare.previous, undefined)
  t.match(bare.warnings, [/previous image oci:images:unlabelled has no io.buildpacks.lifecycle.metadata label/])
  const garbled = await analyze({ run: src('run'), previous: src('garbled'), clearCache: false })
  t.equal(garbled.previous, undefined)
  t.match(garbled.warnings, [/previous image oci:images:garbled: .*nothing reused/])
})

t.test('a previous image that cannot be read (not merely absent) is exit 32', async (t) => {
  const broken = await openLayout(join(work, 'broken'), { create: true })
  const img = appendLayers(emptyImage(hostPlatform()), { layer: await layerFromEntries([{ path: '/x', type: 'file' }], { storeDir: join(work, 'store') }) })
  await pushImage(broken, img, ['app'])
  await writeFile(join(work, 'broken', 'blobs', 'sha256', (await img.digest()).slice(7)), '{not a manifest')
  await t.rejects(analyze({ run: src('run'), previous: { repo: broken, identifier: 'app', display: 'broken' }, clearCache: false }), { exitCode: 32, message: /previous image broken/ })
})

t.test('cache metadata: read unless --clear-cache; an unreadable cache is exit 31', async (t) => {
  const dir = join(work, 'cache')
  const md: CacheMetadata = { buildpacks: [{ key: 'bp', version: '1', layers: {} }] }
  await dirCache(dir).save([], md)
  t.same((await analyze({ run: src('run'), cache: dirCache(dir), clearCache: false })).cache, md)
  t.same((await analyze({ run: src('run'), cache: dirCache(dir), clearCache: true })).cache, { buildpacks: [] })
  await writeFile(join(dir, 'committed', LABELS.CACHE_METADATA), '[1,2')
  await t.rejects(analyze({ run: src('run'), cache: dirCache(dir), clearCache: false }), { exitCode: 31, message: new RegExp(`cache ${dir}`) })
})
