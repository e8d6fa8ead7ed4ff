import t from 'tap'
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseLayerMetadata, parseStoreToml, readBuildpackDescriptor, type BuildpackDescriptor } from '../../lib/buildpack/index.js'
import { appendLayers, emptyImage } from '../../lib/image/index.js'
import { layerFromDirectory } from '../../lib/layer/index.js'
import { dirCache } from '../../lib/cache/cache-dir.js'
import { PhaseError } from '../../lib/lifecycle/errors.js'
import { treeFingerprint } from '../../lib/cache/fingerprint.js'
import { restore } from '../../lib/lifecycle/restore.js'
import { prepareBuildDirs } from '../../lib/lifecycle/workspace.js'
import { emptyLayersMetadata, type BuildpackLayerMetadata, type CacheMetadata, type LayersMetadata } from '../../lib/platform/index.js'
import { SAMPLES } from '../../registry-fixtures/index.js'

let work: string
let bp: BuildpackDescriptor
t.before(async () => {
  work = await mkdtemp(join(tmpdir(), 'lading-restore-'))
  bp = await readBuildpackDescriptor(SAMPLES.buildpack('deps'))
})
t.teardown(() => rm(work, { recursive: true, force: true }))

let n = 0
/** A cache dir holding one tar per name (files under /layers/lading-test_deps/<name>); returns their diffIDs. */
async function makeCache(names: string[]): Promise<{ dir: string; shas: Record<string, string> }> {
  const dir = join(work, `cache${n++}`)
  const shas: Record<string, string> = {}
  const entries = []
  for (const name of names) {
    const src = join(work, `src${n++}`)
    await mkdir(join(src, 'sub'), { recursive: true })
    await writeFile(join(src, 'sub', 'f'), `content of ${name}`)
    const layer = await layerFromDirectory(src, { target: `/layers/lading-test_deps/${name}`, uid: 1000, gid: 1000, storeDir: join(work, 'store') })
    shas[name] = layer.diffIdValue
    entries.push({ layer })
  }
  await dirCache(dir).save(entries, { buildpacks: [] })
  return { dir, shas }
}
const meta = (sha: string, types: Partial<BuildpackLayerMetadata>, data?: unknown): BuildpackLayerMetadata => ({ sha, build: false, launch: false, cache: false, ...types, ...(data ? { data } : {}) })
const prevMd = (layers: Record<string, BuildpackLayerMetadata>, store?: Record<string, unknown>): LayersMetadata => ({
  ...emptyLayersMetadata(), buildpacks: [{ key: bp.id, version: bp.version, layers, ...(store ? { store: { metadata: store } } : {}) }],
})
const cacheMd = (layers: Record<string, BuildpackLayerMetadata>): CacheMetadata => ({ buildpacks: [{ key: bp.id, version: bp.version, layers }] })
const other = 'sha256:' + 'f'.repeat(64)

t.test('the restore table', async (t) => {
  const { dir, shas } = await makeCache(['lc', 'lc-stale', 'cc'])
  const dirs = await prepareBuildDirs(join(work, 'b1'))
  const bpDir = join(dirs.layers, 'lading-test_deps')
  await mkdir(join(bpDir, 'cc'), { recursive: true })
  await writeFile(join(bpDir, 'cc', 'stale'), 'from an older restore')
  const out = await restore({
    group: [bp], dirs, cache: dirCache(dir),
    previous: prevMd({
      'lo': meta(other, { launch: true }, { v: 'launch-only' }),
      'lc': meta(shas.lc!, { launch: true, cache: true }, { v: 'lc' }),
      'lc-stale': meta(other, { launch: true, cache: true }),
    }, { builds: 3 }),
    cacheMetadata: cacheMd({
      'lc': meta(shas.lc!, { launch: true, cache: true }, { v: 'lc-from-cache' }),
      'lc-stale': meta(shas['lc-stale']!, { launch: true, cache: true }),
      'cc': meta(shas.cc!, { cache: true, build: true }, { v: 'cc' }),
      'lc-cache-only-label': meta(shas.cc!, { launch: true, cache: true }),
    }),
  })
  t.same(out.metadataOnly, ['lading-test/deps/lo'])
  t.same(out.fromCache, ['lading-test/deps/cc', 'lading-test/deps/lc'])
  t.same(out.warnings, [])
  t.same((await readdir(bpDir)).sort(), ['cc', 'cc.toml', 'lc', 'lc.toml', 'lo.toml', 'store.toml'], 'lc-stale (sha mismatch) and a launch+cache layer absent from the app image are not restored')
  t.same(parseLayerMetadata(await readFile(join(bpDir, 'lo.toml'), 'utf8'), 'lo.toml'), { types: { launch: false, build: false, cache: false }, metadata: { v: 'launch-only' } }, 'metadata only, no types')
  t.same(parseLayerMetadata(await readFile(join(bpDir, 'lc.toml'), 'utf8'), 'lc.toml').metadata, { v: 'lc' }, 'launch+cache: the app image\'s metadata')
  t.same(parseLayerMetadata(await readFile(join(bpDir, 'cc.toml'), 'utf8'), 'cc.toml').metadata, { v: 'cc' })
  t.equal(await readFile(join(bpDir, 'lc', 'sub', 'f'), 'utf8'), 'content of lc')
  t.same(await readdir(join(bpDir, 'cc')), ['sub'], 'the old layer dir is replaced, not merged')
  t.same(parseStoreToml(await readFile(join(bpDir, 'store.toml'), 'utf8'), 'store.toml'), { metadata: { builds: 3 } }, 'store.toml [metadata] as the buildpack wrote it')
  t.same([...out.snapshots.keys()].sort(), [join(bpDir, 'cc'), join(bpDir, 'lc')])
  t.same(out.snapshots.get(join(bpDir, 'lc')), { sha: shas.lc, fingerprint: await treeFingerprint(join(bpDir, 'lc')) })
})

t.test('a cached layer missing from the cache is a warning, not a failure; no cache at all too', async (t) => {
  const { dir } = await makeCache([])
  const dirs = await prepareBuildDirs(join(work, 'b2'))
  const cacheMetadata = cacheMd({ cc: meta(other, { cache: true }) })
  const out = await restore({ group: [bp], dirs, cache: dirCache(dir), cacheMetadata })
  t.same(out.fromCache, [])
  t.match(out.warnings, [/cached layer lading-test\/deps\/cc \(sha256:f+\) is missing from the cache/])
  t.same(await readdir(join(dirs.layers, 'lading-test_deps')), [], 'no cc.toml either')
  const none = await restore({ group: [bp], dirs: await prepareBuildDirs(join(work, 'b3')), cacheMetadata })
  t.equal(none.warnings.length, 1)
})

t.test('first build: every group buildpack gets its layers dir, nothing else', async (t) => {
  const dirs = await prepareBuildDirs(join(work, 'b4'))
  const base = await readBuildpackDescriptor(SAMPLES.buildpack('base'))
  const out = await restore({ group: [base, bp], dirs, cacheMetadata: { buildpacks: [] } })
  t.same(out, { metadataOnly: [], fromCache: [], snapshots: new Map(), sboms: [], warnings: [] })
  t.same((await readdir(dirs.layers)).sort(), ['lading-test_base', 'lading-test_deps'])
  t.ok((await stat(join(dirs.layers, 'lading-test_base'))).isDirectory())
})

t.test('a corrupt cached tar fails the restore with exit 40', async (t) => {
  const { dir, shas } = await makeCache(['cc'])
  await writeFile(join(dir, 'committed', `${shas.cc}.tar`), Buffer.alloc(700, 0x41))
  const dirs = await prepareBuildDirs(join(work, 'b5'))
  await t.rejects(restore({ group: [bp], dirs, cache: dirCache(dir), cacheMetadata: cacheMd({ cc: meta(shas.cc!, { cache: true }) }) }),
    { constructor: PhaseError, phase: 'restore', exitCode: 40, message: /restore layers/ })
})

t.test('per-layer SBOMs come back from the cache SBOM layer and the previous image one (which wins)', async (t) => {
  const sbomLayer = async (kind: string, files: Record<string, string>) => {
    const src = join(work, `sbom${n++}`)
    for (const [rel, text] of Object.entries(files)) {
      await mkdir(join(src, rel, '..'), { recursive: true })
      await writeFile(join(src, rel), text)
    }
    return layerFromDirectory(src, { target: `/layers/sbom/${kind}`, uid: 0, gid: 0, storeDir: join(work, 'store') })
  }
  const cached = await sbomLayer('cache', { 'lading-test_deps/cc/sbom.cdx.json': 'cc from cache', 'lading-test_deps/lm/sbom.cdx.json': 'lm from cache' })
  const launched = await sbomLayer('launch', { 'lading-test_deps/lm/sbom.cdx.json': 'lm from image', 'lading-test_deps/sbom.cdx.json': 'buildpack-level: not restored' })
  const cacheDir = join(work, `cache${n++}`)
  await dirCache(cacheDir).save([{ layer: cached }], { buildpacks: [] })
  const previousImage = appendLayers(emptyImage({ os: 'linux', architecture: 'amd64' }), { layer: launched })
  const dirs = await prepareBuildDirs(join(work, 'b6'))
  const out = await restore({
    group: [bp], dirs, cache: dirCache(cacheDir), previousImage,
    cacheMetadata: { sbom: { sha: cached.diffIdValue }, buildpacks: [] },
    previous: { ...emptyLayersMetadata(), sbom: { sha: launched.diffIdValue } },
  })
  t.same(out.sboms, ['lading-test_deps/cc.sbom.cdx.json', 'lading-test_deps/lm.sbom.cdx.json'])
  t.same(out.warnings, [])
  const dir = join(dirs.layers, 'lading-test_deps')
  t.equal(await readFile(join(dir, 'cc.sbom.cdx.json'), 'utf8'), 'cc from cache')
  t.equal(await readFile(join(dir, 'lm.sbom.cdx.json'), 'utf8'), 'lm from image')
  t.same((await readdir(dir)).sort(), ['cc.sbom.cdx.json', 'lm.sbom.cdx.json'])
  const gone = await restore({ group: [bp], dirs: await prepareBuildDirs(join(work, 'b7')), previousImage: emptyImage({ os: 'linux', architecture: 'amd64' }),
    cacheMetadata: { buildpacks: [] }, previous: { ...emptyLayersMetadata(), sbom: { sha: launched.diffIdValue } } })
  t.match(gone.warnings, [/previous image's SBOM layer sha256:.* could not be read/], 'an SBOM layer missing from the image is a warning')
})
