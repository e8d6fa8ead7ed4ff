import t from 'tap'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { findBuildpacks, type BuildpackStore, type OrderInput } from '../../lib/buildpack/index.js'
import { buildPhase } from '../../lib/lifecycle/build-phase.js'
import { detectPhase } from '../../lib/lifecycle/detect-phase.js'
import { PhaseError } from '../../lib/lifecycle/errors.js'
import { EXPECTED, SAMPLES } from '../../registry-fixtures/index.js'
import { workDir } from '../helpers/work-dir.js'
import { hostRuntime } from './phase-fixtures.js'

let work: string
let store: BuildpackStore
t.before(async () => {
  work = await workDir(t, 'build')
  store = await findBuildpacks(SAMPLES.buildpacksDir, { onError: () => {} })
})

let n = 0
/** Detects `order` on the hello app with the host runner, then builds. */
async function build(order: OrderInput, onOutput?: (c: string) => void) {
  const { dirs, exec, env, target } = await hostRuntime(join(work, `b${n++}`), SAMPLES.apps.hello)
  const d = await detectPhase({ order, store, dirs, exec, env, target })
  const seen: string[] = []
  const built = buildPhase({ group: d.group, plan: d.plan, dirs, exec, env, target, onBuildpack: (bp) => seen.push(bp.id), ...(onOutput ? { onOutput } : {}) })
  return { dirs, env, seen, built }
}

t.test('the meta group: each buildpack in order, processes, labels, slices and SBOMs collected', async (t) => {
  let out = ''
  const { dirs, env, seen, built } = await build([{ group: [{ id: 'lading-test/meta' }] }], (c) => { out += c })
  const b = await built
  t.same(seen, EXPECTED.group)
  t.same(b.outcomes.map((o) => o.bp.id), EXPECTED.group)
  t.same(b.processes.map((p) => p.type).sort(), EXPECTED.processes)
  t.equal(b.defaultType, EXPECTED.defaultProcess)
  t.same(Object.fromEntries(b.labels.map((l) => [l.key, l.value])), EXPECTED.labels)
  t.same(b.slices.map((s) => s.paths), EXPECTED.slices)
  for (const line of EXPECTED.buildLog.first) t.match(out, line)
  const layers = b.outcomes.flatMap((o) => o.outcome.layers.filter((l) => l.types.launch).map((l) => ({ buildpack: o.bp.id, layer: l.name })))
  t.same(layers, EXPECTED.launchLayers)
  t.equal(env.get('BUILD_ONLY'), 'base-build', 'a build layer\'s env reaches later buildpacks (and stays in env)')
  t.match(env.get('PATH'), join(dirs.layers, 'lading-test_base/tools/bin'), 'build layer bin/ on PATH')
  t.same((await readdir(join(dirs.layers, 'sbom', 'launch'))).sort(), ['lading-test_deps', 'lading-test_procs'], 'launch SBOMs placed under <layers>/sbom/launch')
  t.same(await readdir(join(dirs.layers, 'sbom/launch/lading-test_deps')), ['launch-meta'], 'a launch layer\'s SBOM, per layer')
  t.same(await readdir(join(dirs.layers, 'sbom/cache/lading-test_deps')), ['compile-cache'], 'a cache-only layer\'s SBOM goes to sbom/cache')
  t.match(await readFile(join(dirs.layers, 'sbom/launch/lading-test_procs/sbom.cdx.json'), 'utf8'), /CycloneDX/i)
  t.ok((await readFile(join(dirs.layers, 'lading-test_deps', 'store.toml'), 'utf8')).includes('builds'))
})

t.test('a failing bin/build is exit 51 naming the buildpack; buildpacks after it do not run', async (t) => {
  const { seen, built } = await build([{ group: [{ id: 'lading-test/base' }, { id: 'lading-test/fails-build' }] }])
  await t.rejects(built, { constructor: PhaseError, phase: 'build', exitCode: 51, message: /lading-test\/fails-build/ })
  t.same(seen, ['lading-test/base', 'lading-test/fails-build'])
})

t.test('a malformed layer toml is exit 50 naming the file', async (t) => {
  const { built } = await build([{ group: [{ id: 'lading-test/bad-layer-toml' }] }])
  await t.rejects(built, { phase: 'build', exitCode: 50, message: /broken\.toml/ })
})

t.test('no processes: no default type, empty collections', async (t) => {
  const b = await (await build([{ group: [{ id: 'lading-test/base' }] }])).built
  t.same(b.processes, [])
  t.equal(b.defaultType, undefined)
  t.same(b.labels, [])
  t.same(b.slices, [])
  t.same(b.warnings, [])
})
