import t from 'tap'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { findBuildpacks, type BuildpackStore, type OrderInput } from '../../lib/buildpack/index.js'
import { PhaseError } from '../../lib/lifecycle/errors.js'
import { detectPhase } from '../../lib/lifecycle/detect-phase.js'
import { parseGroup, parsePlan } from '../../lib/platform/index.js'
import { EXPECTED, SAMPLES } from '../../registry-fixtures/index.js'
import { workDir } from '../helpers/work-dir.js'
import { hostRuntime } from './phase-fixtures.js'

let work: string
let store: BuildpackStore
t.before(async () => {
  work = await workDir(t, 'detect')
  store = await findBuildpacks(SAMPLES.buildpacksDir, { onError: () => {} })
})

let n = 0
async function run(order: OrderInput, onOutput?: (c: string) => void) {
  const { dirs, exec, env, target } = await hostRuntime(join(work, `b${n++}`), SAMPLES.apps.hello)
  return { dirs, result: detectPhase({ order, store, dirs, exec, env, target, ...(onOutput ? { onOutput } : {}) }) }
}

t.test('a passing group: descriptors in order, the plan, group.toml and plan.toml in the layers dir', async (t) => {
  let output = ''
  const { dirs, result } = await run([{ group: [{ id: 'lading-test/meta' }] }], (c) => { output += c })
  const d = await result
  t.same(d.group.map((g) => g.id), EXPECTED.group)
  t.ok(d.group.every((g) => g.dir.startsWith(SAMPLES.buildpacksDir)), 'real descriptors from the store')
  t.same(Object.fromEntries(d.plan.map((p) => [p.requires[0]!.name, p.providers.map((x) => x.id)])), EXPECTED.plan)
  t.match(d.table, /lading-test\/base/)
  t.match(output, 'base: pass', 'bin/detect output is streamed')
  t.same(parseGroup(await readFile(join(dirs.layers, 'group.toml'), 'utf8')).group.map((g) => g.id), EXPECTED.group)
  t.same(parsePlan(await readFile(join(dirs.layers, 'plan.toml'), 'utf8')).map((p) => p.providers.map((x) => x.id)), Object.values(EXPECTED.plan))
})

t.test('no group passes: exit 20 with the lifecycle results per group; nothing written', async (t) => {
  const { dirs, result } = await run([{ group: [{ id: 'lading-test/never' }] }, { group: [{ id: 'lading-test/never', optional: true }] }])
  const err = await result.then(() => undefined, (e: PhaseError) => e)
  t.match(err, { constructor: PhaseError, phase: 'detect', exitCode: 20 })
  t.equal(err?.message, [
    'failed to detect: no buildpacks participating',
    '======== Results ========',
    `fail: lading-test/never@${store.lookup('lading-test/never').version}`,
    '======== Results ========',
    `skip: lading-test/never@${store.lookup('lading-test/never').version}`,
    'fail: no viable buildpacks in group',
    'No buildpack groups passed detection.',
    'Please check that you are running against the correct path.',
  ].join('\n'))
  await t.rejects(readFile(join(dirs.layers, 'group.toml')), { code: 'ENOENT' })
})

t.test('samples/hello-moon alone (buildpacks/samples): the requirement nobody provides', async (t) => {
  const samples = await findBuildpacks(join(import.meta.dirname, 'fixtures', 'samples-buildpacks'))
  const { dirs, exec, env, target } = await hostRuntime(join(work, `b${n++}`))
  const result = detectPhase({ order: [{ group: [{ id: 'samples/hello-moon' }] }], store: samples, dirs, exec, env, target })
  const err = await result.then(() => undefined, (e: PhaseError) => e)
  t.equal(err?.exitCode, 20)
  t.equal(err?.message, [
    'failed to detect: no buildpacks participating',
    '======== Results ========',
    'pass: samples/hello-moon@0.0.2',
    'Resolving plan... (try #1)',
    'fail: samples/hello-moon@0.0.2 requires some-world',
    'No buildpack groups passed detection.',
    'Please check that you are running against the correct path.',
  ].join('\n'))
})

t.test('a buildpack errored: exit 21; its exit code and output are in the message', async (t) => {
  const { result } = await run([{ group: [{ id: 'lading-test/detect-error' }] }])
  const err = await result.then(() => undefined, (e: PhaseError) => e)
  t.equal(err?.exitCode, 21)
  t.match(err?.message, /^failed to detect: buildpack\(s\) failed with err\n======== Output: lading-test\/detect-error@[^ ]+ ========\n[^]*\n======== Results ========\nerr:  lading-test\/detect-error@\S+ \(\d+\)\nNo buildpack groups passed detection\.$/)
})

t.test('an order whose first group fails falls through to the next', async (t) => {
  const { result } = await run([{ group: [{ id: 'lading-test/never' }, { id: 'lading-test/optional-errors' }] }, { group: [{ id: 'lading-test/base' }] }])
  t.same((await result).group.map((g) => g.id), ['lading-test/base'])
})

t.test('an unknown buildpack id is an error from the store, not a detect failure', async (t) => {
  const { result } = await run([{ group: [{ id: 'lading-test/does-not-exist' }] }])
  await t.rejects(result, { message: /lading-test\/does-not-exist/ })
})
