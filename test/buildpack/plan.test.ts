import t from 'tap'
import { buildpackPlanFor, formatBuildpackPlan, parseDetectPlan, removeMetEntries, type PlanEntry } from '../../lib/buildpack/index.js'
import { parseTomlTable, errorsFor } from '../../lib/buildpack/toml-fields.js'

const entries: PlanEntry[] = [
  { providers: [{ id: 'a', version: '1' }], requires: [{ name: 'node', metadata: { version: '20' } }, { name: 'node' }] },
  { providers: [{ id: 'a', version: '1' }, { id: 'b', version: '1' }], requires: [{ name: 'npm' }] },
  { providers: [{ id: 'b', version: '1' }], requires: [{ name: 'yarn' }] },
]

t.test('buildpackPlanFor collects the requires of entries it provides', async (t) => {
  t.same(buildpackPlanFor(entries, 'a'), { entries: [{ name: 'node', metadata: { version: '20' } }, { name: 'node' }, { name: 'npm' }] })
  t.same(buildpackPlanFor(entries, 'b'), { entries: [{ name: 'npm' }, { name: 'yarn' }] })
  t.same(buildpackPlanFor(entries, 'c'), { entries: [] })
})

t.test('removeMetEntries drops entries met by the buildpack', async (t) => {
  const aPlan = buildpackPlanFor(entries, 'a')
  t.same(removeMetEntries(entries, aPlan, []).map((e) => e.requires[0]?.name), ['yarn'], 'a met node and npm')
  const left = removeMetEntries(entries, aPlan, ['npm'])
  t.same(left.map((e) => e.requires[0]?.name), ['npm', 'yarn'], 'npm left unmet stays for b')
  t.same(buildpackPlanFor(left, 'b'), { entries: [{ name: 'npm' }, { name: 'yarn' }] })
  t.same(removeMetEntries(entries, { entries: [] }, []), entries)
})

t.test('formatBuildpackPlan writes [[entries]] with metadata', async (t) => {
  const text = formatBuildpackPlan(buildpackPlanFor(entries, 'a'))
  t.same(parseTomlTable(text, errorsFor('X', 'p')), {
    entries: [{ name: 'node', metadata: { version: '20' } }, { name: 'node' }, { name: 'npm' }],
  })
  t.same(parseTomlTable(formatBuildpackPlan({ entries: [] }), errorsFor('X', 'p')), { entries: [] })
  t.ok(parseDetectPlan(''))
})
