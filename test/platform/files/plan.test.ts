import t from 'tap'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  parseBuildpackPlan, parsePlan, readPlanFile, stringifyBuildpackPlan, stringifyPlan, type PlanEntry,
} from '../../../lib/platform/index.js'

const PLAN: PlanEntry[] = [
  {
    providers: [{ id: 'acme/node', version: '2.1.0' }],
    requires: [{ name: 'node', metadata: { version: '20.x' } }],
  },
  {
    providers: [{ id: 'acme/ext', version: '1.0.0', extension: true }, { id: 'acme/npm', version: '1.0.0' }],
    requires: [{ name: 'npm' }, { name: 'npm', metadata: { build: true, n: 3 } }],
  },
]

t.test('writes the spec shape', async (t) => {
  const text = stringifyPlan(PLAN.slice(0, 1))
  t.equal(text, [
    '[[entries]]', '[[entries.providers]]', 'id = "acme/node"', 'version = "2.1.0"', '',
    '[[entries.requires]]', 'name = "node"', '', '  [entries.requires.metadata]', '  version = "20.x"', '',
  ].join('\n'))
})

t.test('round-trips and is byte-stable', async (t) => {
  const text = stringifyPlan(PLAN)
  t.same(parsePlan(text), PLAN)
  t.equal(stringifyPlan(parsePlan(text)), text)
  t.match(text, /extension = true/)
  t.notMatch(stringifyPlan([{ providers: [{ id: 'a', version: '1', extension: false }], requires: [{ name: 'x', metadata: {} }] }]),
    /extension|metadata/, 'false extension and empty metadata omitted')
})

t.test('buildpack plan (CNB_BP_PLAN_PATH)', async (t) => {
  const entries = [{ name: 'node', metadata: { version: '20.x' } }, { name: 'node' }]
  const text = stringifyBuildpackPlan(entries)
  t.equal(text, '[[entries]]\nname = "node"\n\n  [entries.metadata]\n  version = "20.x"\n\n[[entries]]\nname = "node"\n')
  t.same(parseBuildpackPlan(text), entries)
  t.same(parseBuildpackPlan(''), [])
})

const BAD: Array<[string, string, RegExp]> = [
  ['provider without id', '[[entries]]\n[[entries.providers]]\nversion = "1"\n', /"entries\[0\]\.providers\[0\]\.id": is required/],
  ['require without name', '[[entries]]\n[[entries.requires]]\n[entries.requires.metadata]\nx = 1\n', /"entries\[0\]\.requires\[0\]\.name": is required/],
  ['metadata not a table', '[[entries]]\n[[entries.requires]]\nname = "x"\nmetadata = 3\n', /"entries\[0\]\.requires\[0\]\.metadata": must be a table/],
]
for (const [name, text, re] of BAD) {
  t.test(`rejects: ${name}`, async (t) => {
    t.throws(() => parsePlan(text, 'p.toml'), { code: 'ERR_PLATFORM_FILE_INVALID', message: re })
  })
}

t.test('readPlanFile', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lading-plan-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const p = join(dir, 'plan.toml')
  await writeFile(p, stringifyPlan(PLAN))
  t.same(await readPlanFile(p), PLAN)
})
