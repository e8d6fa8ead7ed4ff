import t from 'tap'
import { cp, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { findBuildpacks, type BuildpackStore, type OrderInput } from '../../lib/buildpack/index.js'
import { openLayout, type LayoutRepository } from '../../lib/layout/index.js'
import { dirCache } from '../../lib/cache/cache-dir.js'
import { createImage, type BuildRequest } from '../../lib/lifecycle/create.js'
import { PhaseError } from '../../lib/lifecycle/errors.js'
import { LABELS } from '../../lib/platform/index.js'
import { fetchImage } from '../../lib/remote/index.js'
import { prepareBuildDirs } from '../../lib/lifecycle/workspace.js'
import { EXPECTED, makeBaseImages, SAMPLES, type BaseImages } from '../../registry-fixtures/index.js'
import { workDir } from '../helpers/work-dir.js'

let work: string
let base: BaseImages
let runRepo: LayoutRepository
let store: BuildpackStore
let app: string
t.before(async () => {
  work = await workDir(t, 'create')
  base = await makeBaseImages(join(work, 'base'))
  runRepo = await openLayout(base.layout)
  store = await findBuildpacks(SAMPLES.buildpacksDir, { onError: () => {} })
  app = join(work, 'app')
  await cp(SAMPLES.apps.hello, app, { recursive: true })
})

const META: OrderInput = [{ group: [{ id: 'lading-test/meta' }] }]
async function request(out: string, over: Partial<BuildRequest> = {}): Promise<BuildRequest> {
  const repo = await openLayout(join(work, out), { create: true })
  return {
    targets: [{ repo, tags: ['app'], display: `oci:${out}`, refs: [`oci:${out}:app`] }],
    appDir: app, appFilter: { exclude: ['*.log', '.gitignore'] }, order: META, store,
    run: { repo: runRepo, identifier: 'run-v1', display: base.runV1, name: base.runV1, mirrors: [] },
    previous: { repo, identifier: 'app', display: `oci:${out}:app` },
    clearCache: false, platformEnv: { BP_DEPS_SIZE_MB: '1' }, launcher: 'sh', sandbox: true, network: false,
    buildPath: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', uid: 1000, gid: 1000,
    created: new Date(0), indexDir: join(work, 'run-index'), ...over,
  }
}

t.test('a first build and a rebuild: phases in order, tags, cache saved then restored, layers reused', async (t) => {
  const cache = dirCache(join(work, 'cache'))
  const phases: string[] = []
  const warns: string[] = []
  let output = ''
  const first = await createImage(await request('out', { cache }), { phase: (p) => phases.push(p), warn: (w) => warns.push(w), output: (c) => { output += c } })
  t.same(phases, ['analyze', 'detect', 'restore', 'build', 'export', 'publish', 'cache'])
  t.same(Object.keys(first.timingsMs).sort(), [...phases].sort())
  t.same(first.group.map((g) => g.id), EXPECTED.group)
  t.same(first.tags, ['oci:out:app'])
  t.same(first.reused, [])
  t.same(first.restored, { metadataOnly: [], fromCache: [] })
  for (const line of EXPECTED.buildLog.first) t.match(output, line)
  const repo = await openLayout(join(work, 'out'))
  const img = await fetchImage(repo, 'app')
  t.equal(await img.digest(), first.image.digest)
  t.ok((await img.config()).config?.Labels?.[LABELS.LIFECYCLE_METADATA])
  const deps = (await cache.metadata()).buildpacks.find((b) => b.key === 'lading-test/deps')
  t.same(Object.keys(deps?.layers ?? {}).sort(), ['compile-cache', 'deps'], 'cache layers saved')
  output = ''
  const second = await createImage(await request('out', { cache }), { output: (c) => { output += c } })
  for (const line of EXPECTED.buildLog.rebuild) t.match(output, line)
  t.same(second.restored.metadataOnly, ['lading-test/base/tools', 'lading-test/deps/launch-meta'])
  t.same(second.restored.fromCache, ['lading-test/deps/compile-cache', 'lading-test/deps/deps'])
  t.ok(second.reused.includes('lading-test/deps/launch-meta'))
  t.ok(second.reused.includes('lading-test/deps/deps'))
})

t.test('several targets get the same image; same inputs give the same digest', async (t) => {
  const req = await request('multi-a')
  const other = await openLayout(join(work, 'multi-b'), { create: true })
  req.targets.push({ repo: other, tags: ['x', 'y'], display: 'oci:multi-b', refs: ['oci:multi-b:x', 'oci:multi-b:y'] })
  const r = await createImage(req)
  t.same(r.tags, ['oci:multi-a:app', 'oci:multi-b:x', 'oci:multi-b:y'])
  t.equal(await (await fetchImage(other, 'y')).digest(), r.image.digest)
  const again = await createImage(await request('multi-c'))
  t.equal(again.image.digest, r.image.digest)
})

t.test('a failing phase: its PhaseError, nothing tagged, no cache written', async (t) => {
  const cacheDir = join(work, 'cache-fail')
  const cases: [Partial<BuildRequest>, number][] = [
    [{ order: [{ group: [{ id: 'lading-test/fails-build' }] }] }, 51],
    [{ order: [{ group: [{ id: 'lading-test/never' }] }] }, 20],
    [{ run: { repo: runRepo, identifier: 'no-such-run', display: 'x', name: 'x', mirrors: [] } }, 30],
    [{ processType: 'nope' }, 63],
    [{ order: [{ group: [{ id: 'lading-test/bad-process' }] }] }, 64],
  ]
  for (const [over, code] of cases) {
    const out = `fail-${code}`
    await t.rejects(createImage(await request(out, { cache: dirCache(cacheDir), ...over })), { name: 'PhaseError', constructor: PhaseError, exitCode: code }, `exit ${code}`)
    await t.rejects(fetchImage(await openLayout(join(work, out)), 'app'), { code: 'ERR_NOT_FOUND' }, `exit ${code}: nothing tagged`)
  }
  t.same(await readdir(cacheDir).catch(() => []), [], 'the cache was never saved')
})

t.test('platform env reaches buildpacks; an invalid name fails before any phase', async (t) => {
  let output = ''
  await createImage(await request('env', { platformEnv: { BP_DEPS_SIZE_MB: '2' } }), { output: (c) => { output += c } })
  t.match(output, 'deps: generating 2 MiB')
  const phases: string[] = []
  await t.rejects(createImage(await request('env-bad', { platformEnv: { 'BAD-NAME': 'x' } }), { phase: (p) => phases.push(p) }), { code: 'ERR_USAGE' })
  t.same(phases, [])
  await writeFile(join(work, 'not-a-dir'), '')
  await t.rejects(createImage(await request('no-app', { appDir: join(work, 'not-a-dir') })), { code: 'ERR_APP_DIR' })
})

t.test('given build dirs (as --no-sandbox passes): the app is copied in and the dirs emptied afterwards, or built in place', async (t) => {
  const dirs = await prepareBuildDirs(join(work, 'given'))
  await createImage(await request('given-out', { dirs }))
  for (const d of [dirs.workspace, dirs.layers, dirs.platform]) t.same(await readdir(d), [], 'left empty for the next build')
  await cp(SAMPLES.apps.hello, dirs.workspace, { recursive: true })
  const before = (await readdir(dirs.workspace)).sort()
  const r = await createImage(await request('given-in-place', { dirs, appDir: dirs.workspace }))
  t.ok(r.image.digest)
  t.same((await readdir(dirs.workspace)).filter((n) => before.includes(n)).sort(), before, 'the app in /workspace is not removed')
})
