import t from 'tap'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { findBuildpacks, type BuildpackDescriptor } from '../../lib/buildpack/index.js'
import { appendLayers, emptyImage, withConfig, type Image } from '../../lib/image/index.js'
import { layerFromEntries } from '../../lib/layer/index.js'
import { buildPhase, type Built } from '../../lib/lifecycle/build-phase.js'
import { detectPhase } from '../../lib/lifecycle/detect-phase.js'
import { PhaseError } from '../../lib/lifecycle/errors.js'
import { exportImage, type ExportInput } from '../../lib/lifecycle/export.js'
import type { BuildDirs } from '../../lib/lifecycle/workspace.js'
import { decodeLifecycleMetadata, LABELS } from '../../lib/platform/index.js'
import { EXPECTED, hostArchitecture, SAMPLES } from '../../registry-fixtures/index.js'
import { workDir } from '../helpers/work-dir.js'
import { hostRuntime } from './phase-fixtures.js'

let work: string
let dirs: BuildDirs
let group: BuildpackDescriptor[]
let built: Built
let run: Image
t.before(async () => {
  work = await workDir(t, 'export')
  const store = await findBuildpacks(SAMPLES.buildpacksDir, { onError: () => {} })
  const { dirs: ws, exec, env, target } = await hostRuntime(join(work, 'b'), SAMPLES.apps.hello, { exclude: ['*.log', '.gitignore'] })
  dirs = ws
  const d = await detectPhase({ order: [{ group: [{ id: 'lading-test/meta' }] }], store, dirs, exec, env, target })
  group = d.group
  built = await buildPhase({ group, plan: d.plan, dirs, exec, env, target })
  const base = await layerFromEntries([{ path: '/bin/sh', type: 'file', mode: 0o755 }], { storeDir: join(work, 'store') })
  run = withConfig(appendLayers(emptyImage({ os: 'linux', architecture: hostArchitecture() }), { layer: base, history: { created_by: 'run base', created: '2020-01-01T00:00:00Z' } }, { history: { created_by: 'ENV x', empty_layer: true } }),
    (c) => ({ ...c, config: { Env: ['PATH=/usr/bin:/bin', 'TZ=UTC'], Labels: { 'io.buildpacks.base.id': 'run-base' }, User: '1000:1000' } }))
})

const input = (over: Partial<ExportInput> = {}): ExportInput => ({
  group, built, dirs, runImage: run, runReference: 'reg.test/run@sha256:' + '1'.repeat(64), runName: 'reg.test/run:v1', runMirrors: ['mirror.test/run:v1'],
  launcher: 'sh', created: new Date('2024-05-06T07:08:09.123Z'), storeDir: join(work, 'store'), uid: 1000, gid: 1000, oldCache: { buildpacks: [] }, ...over,
})

t.test('sh launcher: Env, Entrypoint, WorkingDir, labels; created without milliseconds', async (t) => {
  const { image, metadata } = await exportImage(input())
  const c = await image.config()
  t.equal(c.created, '2024-05-06T07:08:09Z')
  t.same(c.config?.Env, ['PATH=/cnb/process:/cnb/lifecycle:/usr/bin:/bin', 'TZ=UTC', 'CNB_LAYERS_DIR=/layers', 'CNB_APP_DIR=/workspace', 'CNB_PLATFORM_API=0.13', 'CNB_DEPRECATION_MODE=quiet'])
  t.same(c.config?.Entrypoint, ['/cnb/process/web'])
  t.equal(c.config?.Cmd, null)
  t.equal(c.config?.WorkingDir, '/workspace')
  t.equal(c.config?.User, '1000:1000', 'the run image config is kept')
  const labels = c.config?.Labels ?? {}
  t.equal(labels['io.buildpacks.base.id'], 'run-base')
  t.equal(labels['io.lading.test.procs'], EXPECTED.labels['io.lading.test.procs'])
  t.equal(labels[LABELS.PROJECT_METADATA], '{}')
  t.match(JSON.parse(labels[LABELS.BUILD_METADATA]!), { buildpacks: [{ id: 'lading-test/base' }, { id: 'lading-test/deps' }, { id: 'lading-test/procs' }], launcher: { version: '0.1.0' } })
  t.same(decodeLifecycleMetadata(labels[LABELS.LIFECYCLE_METADATA]!).value, metadata)
  t.same(metadata.runImage, { topLayer: (await run.config()).rootfs.diff_ids[0], reference: 'reg.test/run@sha256:' + '1'.repeat(64), image: 'reg.test/run:v1', mirrors: ['mirror.test/run:v1'] })
  t.equal(metadata.app.length, EXPECTED.appLayerCount)
  t.ok(metadata.launcher && metadata.config && metadata.processTypes && metadata.sbom)
  t.match(await readFile(join(dirs.layers, 'config', 'metadata.toml'), 'utf8'), /\[\[processes\]\]/)
})

t.test('layer order and history: empty-layer entries dropped, every created set to the build time', async (t) => {
  const { image } = await exportImage(input())
  const c = await image.config()
  t.equal(c.history?.length, c.rootfs.diff_ids.length)
  t.ok(c.history?.every((h) => h.created === '2024-05-06T07:08:09Z' && !h.empty_layer))
  t.same(c.history?.map((h) => h.created_by), [
    'run base',
    "Layer: 'tools', Created by buildpack: lading-test/base@0.0.1",
    "Layer: 'deps', Created by buildpack: lading-test/deps@0.0.1",
    "Layer: 'launch-meta', Created by buildpack: lading-test/deps@0.0.1",
    'Software Bill-of-Materials', 'Application Slice: 1', 'Application Slice: 2',
    'Buildpacks Application Launcher', 'Buildpacks Launcher Config', 'Buildpacks Process Types',
  ])
})

t.test('history that does not pair with the layers becomes blank entries', async (t) => {
  const odd = withConfig(run, (c) => ({ ...c, history: [{ created_by: 'a' }, { created_by: 'b' }] }))
  const c = await (await exportImage(input({ runImage: odd }))).image.config()
  t.equal(c.history?.length, c.rootfs.diff_ids.length)
  t.same(c.history?.[0], { created: '2024-05-06T07:08:09Z' })
  t.ok(c.history?.every((h) => Object.keys(h).join() === 'created'))
})

t.test('process type: chosen, unknown (exit 63), or none at all (the launcher itself)', async (t) => {
  t.same((await (await exportImage(input({ processType: 'worker' }))).image.config()).config?.Entrypoint, ['/cnb/process/worker'])
  await t.rejects(exportImage(input({ processType: 'nope' })).then((e) => e.image.config()), { constructor: PhaseError, phase: 'export', exitCode: 63, message: /"nope" does not exist \(have: / })
  const { defaultType: _d, ...noDefault } = built
  t.same((await (await exportImage(input({ built: noDefault }))).image.config()).config?.Entrypoint, ['/cnb/lifecycle/launcher'])
  const none = { ...noDefault, processes: [] }
  const c = await (await exportImage(input({ built: none }))).image.config()
  t.notOk(c.history?.some((h) => h.created_by === 'Buildpacks Process Types'), 'no process types layer without processes')
})

t.test('a run image without PATH: just the launcher dirs', async (t) => {
  const bare = withConfig(run, (c) => ({ ...c, config: {} }))
  const env = (await (await exportImage(input({ runImage: bare }))).image.config()).config?.Env ?? []
  t.ok(env.includes('PATH=/cnb/process:/cnb/lifecycle'))
})

t.test('launcher none: no launcher layers; the default process baked into Entrypoint', async (t) => {
  const { image, metadata } = await exportImage(input({ launcher: 'none' }))
  const c = await image.config()
  t.equal(c.config?.Entrypoint?.[0], 'greet')
  t.notOk(metadata.launcher)
  t.notOk(metadata.processTypes)
  t.notOk(c.config?.Env?.some((e) => e.startsWith('CNB_')))
})

t.test('same inputs, same image digest; a previous image with the same app layers is referenced', async (t) => {
  const a = await exportImage(input())
  const b = await exportImage(input())
  t.equal(await a.image.digest(), await b.image.digest())
  const again = await exportImage(input({ previous: { image: a.image, metadata: a.metadata } }))
  t.same(again.reused.sort(), ['lading-test/base/tools', 'lading-test/deps/deps', 'lading-test/deps/launch-meta'])
  t.equal(await again.image.digest(), await a.image.digest())
  t.same(again.cacheMetadata.buildpacks.find((x) => x.key === 'lading-test/deps')?.layers.deps?.sha, a.metadata.buildpacks.find((x) => x.key === 'lading-test/deps')?.layers.deps?.sha)
})

t.test('a run image whose config diff_ids do not match its manifest is refused before export (exit 65)', async (t) => {
  // what a broken or hostile registry can serve: the image model itself never builds one
  const withIds = async (ids: string[]): Promise<Image> => {
    const cfg = await run.config()
    const bad = { ...cfg, rootfs: { ...cfg.rootfs, diff_ids: ids } }
    return new Proxy(run, {
      get: (target, prop) => {
        if (prop === 'config') return async () => bad
        const v = Reflect.get(target, prop) as unknown
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
      },
    }) as Image
  }
  const ids = (await run.config()).rootfs.diff_ids
  await t.rejects(exportImage(input({ runImage: await withIds([...ids, 'sha256:' + 'a'.repeat(64)]) })), { constructor: PhaseError, exitCode: 65, message: /run image .* is invalid: its config lists 2 diff_ids for 1 manifest layers/ })
  await t.rejects(exportImage(input({ runImage: await withIds([]) })), { exitCode: 65, message: /0 diff_ids for 1 manifest layers/ })
  await t.rejects(exportImage(input({ runImage: await withIds(['md5:abc']) })), { exitCode: 65, message: /diff_ids\[0\] is not a sha256 digest/ })
})
