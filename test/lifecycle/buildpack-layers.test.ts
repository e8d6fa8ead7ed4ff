import t from 'tap'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readBuildpackDescriptor, type BuildpackDescriptor, type LayerInfo, type LayerTypes, type Table } from '../../lib/buildpack/index.js'
import { appendLayers, emptyImage } from '../../lib/image/index.js'
import type { Built } from '../../lib/lifecycle/build-phase.js'
import { buildpackLayers, type BuildpackLayersInput } from '../../lib/lifecycle/buildpack-layers.js'
import { dirCache } from '../../lib/cache/cache-dir.js'
import { PhaseError } from '../../lib/lifecycle/errors.js'
import { treeFingerprint } from '../../lib/cache/fingerprint.js'
import { hostPlatform } from '../../lib/oci/index.js'
import { emptyLayersMetadata } from '../../lib/platform/index.js'
import { SAMPLES } from '../../registry-fixtures/index.js'

let work: string
let bp: BuildpackDescriptor
t.before(async () => {
  work = await mkdtemp(join(tmpdir(), 'lading-bpl-'))
  bp = await readBuildpackDescriptor(SAMPLES.buildpack('deps'))
})
t.teardown(() => rm(work, { recursive: true, force: true }))

let n = 0
/** A fresh build root: `<root>/layers/lading-test_deps`, and a store dir. */
async function root(): Promise<{ bpDir: string; storeDir: string }> {
  const r = join(work, `b${n++}`)
  const bpDir = join(r, 'layers', 'lading-test_deps')
  await mkdir(bpDir, { recursive: true })
  return { bpDir, storeDir: join(r, 'store') }
}

type Spec = { name: string; types: Partial<LayerTypes>; files?: Record<string, string>; metadata?: Table }
async function layers(bpDir: string, specs: Spec[]): Promise<LayerInfo[]> {
  const out: LayerInfo[] = []
  for (const s of specs) {
    const dir = join(bpDir, s.name)
    if (s.files) {
      await mkdir(dir, { recursive: true })
      for (const [f, c] of Object.entries(s.files)) await writeFile(join(dir, f), c)
    }
    out.push({ name: s.name, dir, tomlPath: `${dir}.toml`, types: { launch: false, build: false, cache: false, ...s.types }, metadata: s.metadata ?? {}, hasDir: !!s.files, sbomFiles: [] })
  }
  return out
}
function built(bpDir: string, ls: LayerInfo[], store?: Table): Built {
  return {
    outcomes: [{ bp, outcome: { layersDir: bpDir, layers: ls, launch: { processes: [], labels: [], slices: [] }, unmet: [], store: store ? { metadata: store } : undefined, sbom: { launch: [], build: [] }, ignored: [] } }],
    processes: [], labels: [], slices: [], warnings: [],
  }
}
const base = (b: Built, storeDir: string): BuildpackLayersInput => ({ built: b, oldCache: { buildpacks: [] }, uid: 1000, gid: 1000, storeDir })
const blobs = async (storeDir: string): Promise<string[]> => readdir(join(storeDir, 'sha256')).catch(() => [])

t.test('first build: launch layers tarred, build-only skipped, one tar serves image and cache', async (t) => {
  const { bpDir, storeDir } = await root()
  const ls = await layers(bpDir, [
    { name: 'both', types: { launch: true, cache: true }, files: { f: 'both' }, metadata: { v: 1 } },
    { name: 'build-only', types: { build: true }, files: { f: 'b' } },
    { name: 'cache-only', types: { cache: true, build: true }, files: { f: 'c' } },
    { name: 'launch', types: { launch: true }, files: { f: 'l' } },
  ])
  const out = await buildpackLayers(base(built(bpDir, ls, { k: 'v' }), storeDir))
  t.same(out.adds.map((a) => a.history?.created_by), [
    `Layer: 'both', Created by buildpack: lading-test/deps@0.0.1`, `Layer: 'launch', Created by buildpack: lading-test/deps@0.0.1`])
  t.same(out.reused, [])
  t.same(out.warnings, [])
  const md = out.buildpacks[0]!
  t.same(Object.keys(md.layers), ['both', 'launch'])
  t.same(md.store, { metadata: { k: 'v' } })
  t.same(md.layers.both, { sha: await out.adds[0]!.layer!.diffId(), data: { v: 1 }, build: false, launch: true, cache: true })
  t.equal(out.cacheEntries.length, 2)
  t.equal(out.cacheEntries[0]!.layer, out.adds[0]!.layer, 'the same tar object for image and cache')
  t.same(Object.keys(out.cacheMetadata.buildpacks[0]!.layers), ['both', 'cache-only'])
  t.equal(out.cacheMetadata.buildpacks[0]!.store, undefined, 'store.toml lives in the app image label only')
  t.equal((await blobs(storeDir)).length, 3, 'each layer tarred once')
})

t.test('cache=true without contents: a warning, not cached; a launch=false cache layer with no dir', async (t) => {
  const { bpDir, storeDir } = await root()
  const ls = await layers(bpDir, [{ name: 'empty', types: { cache: true } }])
  const out = await buildpackLayers(base(built(bpDir, ls), storeDir))
  t.same(out.cacheEntries, [])
  t.same(out.cacheMetadata.buildpacks[0]!.layers, {})
  t.match(out.warnings, [/lading-test\/deps\/empty is cache=true but has no contents/])
})

t.test('rebuild: same contents reuse the previous image\'s layer; metadata-only launch layers by sha', async (t) => {
  const first = await root()
  const ls1 = await layers(first.bpDir, [{ name: 'keep', types: { launch: true }, files: { f: 'same' } }, { name: 'meta', types: { launch: true }, files: { m: 'v1' } }])
  const out1 = await buildpackLayers(base(built(first.bpDir, ls1), first.storeDir))
  const image = appendLayers(emptyImage(hostPlatform()), ...out1.adds)
  const previous = { image, metadata: { ...emptyLayersMetadata(), buildpacks: out1.buildpacks } }
  const second = await root()
  const ls2 = await layers(second.bpDir, [{ name: 'keep', types: { launch: true }, files: { f: 'same' } }, { name: 'meta', types: { launch: true }, metadata: { kept: true } }])
  const out2 = await buildpackLayers({ ...base(built(second.bpDir, ls2), second.storeDir), previous })
  t.same(out2.reused, ['lading-test/deps/keep', 'lading-test/deps/meta'])
  const prevLayers = await image.layers()
  t.equal(await out2.adds[0]!.layer!.digest(), await prevLayers[0]!.digest())
  t.equal(await out2.adds[1]!.layer!.digest(), await prevLayers[1]!.digest(), 'the previous blob, never re-made')
  t.equal(out2.buildpacks[0]!.layers.meta!.sha, out1.buildpacks[0]!.layers.meta!.sha)
  t.same(out2.buildpacks[0]!.layers.meta!.data, { kept: true }, 'the new metadata is written')
  const third = await root()
  const ls3 = await layers(third.bpDir, [{ name: 'keep', types: { launch: true }, files: { f: 'changed' } }])
  const out3 = await buildpackLayers({ ...base(built(third.bpDir, ls3), third.storeDir), previous })
  t.same(out3.reused, [], 'changed contents: a new layer')
  t.not(out3.buildpacks[0]!.layers.keep!.sha, out1.buildpacks[0]!.layers.keep!.sha)
})

t.test('launch layers without a directory that cannot be reused: exit 61 and 62', async (t) => {
  const { bpDir, storeDir } = await root()
  const both = await layers(bpDir, [{ name: 'lc', types: { launch: true, cache: true } }])
  await t.rejects(buildpackLayers(base(built(bpDir, both), storeDir)), { constructor: PhaseError, exitCode: 61, phase: 'export', message: /lading-test\/deps\/lc/ })
  const only = await layers(bpDir, [{ name: 'lo', types: { launch: true } }])
  await t.rejects(buildpackLayers(base(built(bpDir, only), storeDir)), { constructor: PhaseError, exitCode: 62, message: /must write lo\// }, 'no previous image')
  const previous = { image: emptyImage(hostPlatform()), metadata: { ...emptyLayersMetadata(), buildpacks: [{ key: bp.id, version: bp.version, layers: {} }] } }
  await t.rejects(buildpackLayers({ ...base(built(bpDir, only), storeDir), previous }), { code: 'ERR_PHASE_EXPORT', exitCode: 62 }, 'previous image without that layer')
})

t.test('restored layers the buildpack did not touch are not tarred again; kept from the cache by sha', async (t) => {
  const first = await root()
  const ls1 = await layers(first.bpDir, [{ name: 'cc', types: { cache: true }, files: { f: 'cached' } }, { name: 'lc', types: { launch: true, cache: true }, files: { f: 'lc' } }])
  const out1 = await buildpackLayers(base(built(first.bpDir, ls1), first.storeDir))
  const cache = dirCache(join(work, `cache${n++}`))
  await cache.save(out1.cacheEntries, out1.cacheMetadata)
  const image = appendLayers(emptyImage(hostPlatform()), ...out1.adds)
  const previous = { image, metadata: { ...emptyLayersMetadata(), buildpacks: out1.buildpacks } }
  // The second build restores both layers (same files at the same paths) and leaves them alone.
  const second = await root()
  const ls2 = await layers(second.bpDir, [{ name: 'cc', types: { cache: true }, files: { f: 'cached' } }, { name: 'lc', types: { launch: true, cache: true }, files: { f: 'lc' } }])
  const snap = async (l: LayerInfo, sha: string) => [l.dir, { sha, fingerprint: await treeFingerprint(l.dir) }] as const
  const snapshots = new Map([await snap(ls2[0]!, out1.cacheMetadata.buildpacks[0]!.layers.cc!.sha), await snap(ls2[1]!, out1.buildpacks[0]!.layers.lc!.sha)])
  const out2 = await buildpackLayers({ ...base(built(second.bpDir, ls2), second.storeDir), previous, cache, oldCache: out1.cacheMetadata, snapshots })
  t.same(await blobs(second.storeDir), [], 'nothing tarred')
  t.same(out2.reused, ['lading-test/deps/lc'])
  t.same(out2.cacheMetadata, out1.cacheMetadata)
  t.same(await Promise.all(out2.cacheEntries.map((e) => e.layer.diffId())), await Promise.all(out1.cacheEntries.map((e) => e.layer.diffId())))
  t.equal(out2.cacheEntries[0]!.layer.mediaType, 'application/vnd.oci.image.layer.v1.tar', 'the cache\'s own tar')
  // A third build changes cc after restore: the fingerprint differs, so it is tarred again.
  const third = await root()
  const ls3 = await layers(third.bpDir, [{ name: 'cc', types: { cache: true }, files: { f: 'cached' } }])
  const snap3 = new Map([await snap(ls3[0]!, out1.cacheMetadata.buildpacks[0]!.layers.cc!.sha)])
  await writeFile(join(ls3[0]!.dir, 'f'), 'cached, then changed')
  const out3 = await buildpackLayers({ ...base(built(third.bpDir, ls3), third.storeDir), cache, oldCache: out1.cacheMetadata, snapshots: snap3 })
  t.equal((await blobs(third.storeDir)).length, 1)
  t.not(out3.cacheMetadata.buildpacks[0]!.layers.cc!.sha, out1.cacheMetadata.buildpacks[0]!.layers.cc!.sha)
})

t.test('without snapshots, a cache layer whose tar matches the old cache is taken from the cache', async (t) => {
  const first = await root()
  const ls1 = await layers(first.bpDir, [{ name: 'cc', types: { cache: true }, files: { f: 'x' } }])
  const out1 = await buildpackLayers(base(built(first.bpDir, ls1), first.storeDir))
  const cache = dirCache(join(work, `cache${n++}`))
  await cache.save(out1.cacheEntries, out1.cacheMetadata)
  const second = await root()
  const ls2 = await layers(second.bpDir, [{ name: 'cc', types: { cache: true }, files: { f: 'x' } }])
  const out2 = await buildpackLayers({ ...base(built(second.bpDir, ls2), second.storeDir), cache, oldCache: out1.cacheMetadata })
  t.equal(out2.cacheEntries[0]!.layer.mediaType, 'application/vnd.oci.image.layer.v1.tar', 'the cache\'s layer, so the cache save links it')
  t.equal(await out2.cacheEntries[0]!.layer.diffId(), await out1.cacheEntries[0]!.layer.diffId())
})
