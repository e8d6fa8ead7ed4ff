import t from 'tap'
import {
  elementKey, outcomeStatus, resolveGroup, type DetectOutcome, type DetectPlan, type GroupElement,
} from '../../lib/buildpack/index.js'

type Spec = { opt?: boolean; code?: number; error?: string; plan?: Partial<DetectPlan> }

function setup(specs: Record<string, Spec>): { els: GroupElement[]; outcomes: Map<string, DetectOutcome> } {
  const els: GroupElement[] = []
  const outcomes = new Map<string, DetectOutcome>()
  for (const [id, s] of Object.entries(specs)) {
    const el: GroupElement = { id, version: '1.0.0', api: '0.10', optional: s.opt ?? false }
    els.push(el)
    const o: DetectOutcome = { code: s.code ?? 0, output: '' }
    if (s.plan) o.plan = { provides: [], requires: [], or: [], ...s.plan }
    if (s.error) o.error = s.error
    outcomes.set(elementKey(el), o)
  }
  return { els, outcomes }
}

const prov = (...names: string[]) => names.map((name) => ({ name }))
const req = (...names: string[]) => names.map((name) => ({ name }))

function ids(specs: Record<string, Spec>): string[] | string {
  const { els, outcomes } = setup(specs)
  const r = resolveGroup(els, outcomes)
  return r.ok ? r.group.map((g) => g.id) : r.errored ? 'ERROR' : 'FAIL'
}

t.test('outcomeStatus', async (t) => {
  t.equal(outcomeStatus({ code: 0, output: '' }), 'pass')
  t.equal(outcomeStatus({ code: 100, output: '' }), 'fail')
  for (const code of [1, 99, 101, -1, 20]) t.equal(outcomeStatus({ code, output: '' }), 'error', String(code))
  t.equal(outcomeStatus({ code: 0, output: '', error: 'bad plan' }), 'error')
})

t.test('pass / fail / error and optional dropping', async (t) => {
  const cases: [string, Record<string, Spec>, string[] | string][] = [
    ['all pass, no plan', { A: {}, B: {} }, ['A', 'B']],
    ['required fails', { A: {}, B: { code: 100 } }, 'FAIL'],
    ['required errors', { A: {}, B: { code: 1 } }, 'ERROR'],
    ['required bad plan', { A: { error: 'x' } }, 'ERROR'],
    ['optional fails dropped', { A: {}, B: { code: 100, opt: true } }, ['A']],
    ['optional errors dropped', { A: { code: 7, opt: true }, B: {} }, ['B']],
    ['optional error + required fail = error', { A: { code: 7, opt: true }, B: { code: 100 } }, 'ERROR'],
    ['no buildpack passed', { A: { code: 100, opt: true }, B: { code: 3, opt: true } }, 'FAIL'],
  ]
  for (const [name, specs, want] of cases) t.same(ids(specs), want, name)
})

t.test('build plan resolution', async (t) => {
  const cases: [string, Record<string, Spec>, string[] | string][] = [
    ['provide then require', { A: { plan: { provides: prov('node') } }, B: { plan: { requires: req('node') } } }, ['A', 'B']],
    ['own requires satisfied', { A: { plan: { provides: prov('x'), requires: req('x') } } }, ['A']],
    ['require before provide fails', { A: { plan: { requires: req('x') } }, B: { plan: { provides: prov('x') } } }, 'FAIL'],
    ['unused provide fails a required bp', { A: {}, B: { plan: { provides: prov('x') } } }, 'FAIL'],
    ['unused provide drops an optional bp', { A: {}, B: { opt: true, plan: { provides: prov('x') } } }, ['A']],
    ['unmet require drops an optional bp', { A: {}, B: { opt: true, plan: { requires: req('x') } } }, ['A']],
    ['provide after the last require is unused', {
      A: { plan: { provides: prov('x') } }, B: { plan: { requires: req('x') } }, C: { plan: { provides: prov('x') } },
    }, 'FAIL'],
    ['drop cascades on recompute', {
      A: {},
      B: { opt: true, plan: { requires: req('x'), provides: prov('y') } },
      C: { opt: true, plan: { requires: req('y') } },
    }, ['A']],
    ['all dropped leaves nothing', { A: { opt: true, plan: { requires: req('x') } } }, 'FAIL'],
    ['or: second option resolves', {
      A: { plan: { or: [{ provides: prov('node'), requires: [] }] } }, B: { plan: { requires: req('node') } },
    }, ['A', 'B']],
    ['[impl] optional not droppable before its last option', {
      A: { opt: true, plan: { requires: req('x'), or: [{ provides: [], requires: [] }] } }, B: {},
    }, ['A', 'B']],
    ['optional dropped in its last option', {
      A: { opt: true, plan: { requires: req('x'), or: [{ provides: [], requires: req('y') }] } }, B: {},
    }, ['B']],
  ]
  for (const [name, specs, want] of cases) t.same(ids(specs), want, name)
})

t.test('plan entries: providers before the last requirer, every require', async (t) => {
  const { els, outcomes } = setup({
    A: { plan: { provides: prov('x') } },
    B: { plan: { provides: prov('x') } },
    C: { plan: { requires: [{ name: 'x', metadata: { version: '1' } }] } },
    D: { plan: { requires: req('x'), provides: prov('y') } },
    E: { plan: { requires: req('y') } },
  })
  const r = resolveGroup(els, outcomes)
  if (!r.ok) throw new Error('expected ok')
  t.same(r.group, ['A', 'B', 'C', 'D', 'E'].map((id) => ({ id, version: '1.0.0', api: '0.10' })))
  t.same(r.plan, [
    { providers: [{ id: 'A', version: '1.0.0' }, { id: 'B', version: '1.0.0' }], requires: [{ name: 'x', metadata: { version: '1' } }, { name: 'x' }] },
    { providers: [{ id: 'D', version: '1.0.0' }], requires: [{ name: 'y' }] },
  ])
})

t.test('trials enumerate depth-first; the first resolving one wins', async (t) => {
  // A's options: [provides a1] then [provides a2]; B's: [requires a2] then [requires a1].
  // Trial order: (A0,B0) fails, (A0,B1) resolves → A provides a1.
  const { els, outcomes } = setup({
    A: { plan: { provides: prov('a1'), or: [{ provides: prov('a2'), requires: [] }] } },
    B: { plan: { requires: req('a2'), or: [{ provides: [], requires: req('a1') }] } },
  })
  const r = resolveGroup(els, outcomes)
  t.ok(r.ok)
  if (r.ok) t.same(r.plan.map((e) => e.requires[0]?.name), ['a1'])
})

t.test('homepage kept, optional stripped; missing outcome throws', async (t) => {
  const el: GroupElement = { id: 'A', version: '1', api: '0.10', optional: true, homepage: 'h' }
  const r = resolveGroup([el], new Map([['A@1', { code: 0, output: '' }]]))
  t.same(r, { ok: true, group: [{ id: 'A', version: '1', api: '0.10', homepage: 'h' }], plan: [], log: ['======== Results ========', 'pass: A@1', 'Resolving plan... (try #1)'] })
  t.throws(() => resolveGroup([el], new Map()), { code: 'ERR_DETECT_MISSING' })
})

t.test("the lifecycle resolver's log, line for line", async (t) => {
  const log = (specs: Record<string, Spec>) => { const { els, outcomes } = setup(specs); return resolveGroup(els, outcomes).log }
  t.same(log({ 'samples/hello-moon': { plan: { requires: req('some-world') } } }), [
    '======== Results ========', 'pass: samples/hello-moon@1.0.0', 'Resolving plan... (try #1)', 'fail: samples/hello-moon@1.0.0 requires some-world',
  ], 'a requirement nobody provides')
  t.same(log({ A: { plan: { provides: prov('x') } } }), [
    '======== Results ========', 'pass: A@1.0.0', 'Resolving plan... (try #1)', 'fail: A@1.0.0 provides unused x',
  ], 'a provision nobody requires')
  t.same(log({ A: {}, B: { code: 100 }, C: { code: 100, opt: true } }), ['======== Results ========', 'pass: A@1.0.0', 'fail: B@1.0.0', 'skip: C@1.0.0'], 'opted out')
  t.same(log({ A: { code: 7 }, B: { code: -1, error: 'bad plan' } }), [
    '======== Error: B@1.0.0 ========', 'bad plan', '======== Results ========', 'err:  A@1.0.0 (7)', 'err:  B@1.0.0',
  ], 'errors with their exit code')
  t.same(log({ A: { code: 100, opt: true } }), ['======== Results ========', 'skip: A@1.0.0', 'fail: no viable buildpacks in group'])
  t.same(log({ A: { opt: true, plan: { requires: req('x') } }, B: {} }), [
    '======== Results ========', 'pass: A@1.0.0', 'pass: B@1.0.0', 'Resolving plan... (try #1)', 'skip: A@1.0.0 requires x', '1 of 2 buildpacks participating',
  ], 'an optional one dropped')
  t.same(log({ A: { plan: { requires: req('x'), or: [{ provides: prov('x'), requires: req('x') }] } } }), [
    '======== Results ========', 'pass: A@1.0.0', 'Resolving plan... (try #1)', 'fail: A@1.0.0 requires x', 'Resolving plan... (try #2)',
  ], 'each trial of the or-alternatives')
})
