import t from 'tap'
import {
  createBuildpackStore, DetectFailedError, detect, expandOrder, formatDetectTable, parseBuildpackDescriptor,
  type BuildpackDescriptor, type BuildpackLookup, type DetectOutcome, type OrderGroup,
} from '../../lib/buildpack/index.js'

function component(id: string, version = '1.0.0', extra = ''): BuildpackDescriptor {
  return parseBuildpackDescriptor(`api = "0.10"\n[buildpack]\nid = "${id}"\nversion = "${version}"\n${extra}`, `/bp/${id}/buildpack.toml`)
}

function composite(id: string, groups: string[][], optional: string[] = []): BuildpackDescriptor {
  const order = groups.map((g) => `[[order]]\n${g.map((m) => `[[order.group]]\nid = "${m}"\n${optional.includes(m) ? 'optional = true\n' : ''}`).join('')}`).join('')
  return parseBuildpackDescriptor(`api = "0.10"\n[buildpack]\nid = "${id}"\nversion = "1.0.0"\n${order}`, `/bp/${id}/buildpack.toml`)
}

function lookupOf(descs: BuildpackDescriptor[]): BuildpackLookup {
  return (id, version) => {
    const d = descs.find((x) => x.id === id && (version === undefined || x.version === version))
    if (!d) throw new Error(`unknown ${id}`)
    return d
  }
}

const order = (...groups: (string | [string, true])[][]): OrderGroup[] =>
  groups.map((g) => ({ group: g.map((e) => (typeof e === 'string' ? { id: e, optional: false } : { id: e[0], optional: true })) }))

const names = (groups: { id: string; optional: boolean }[][]): string[] =>
  groups.map((g) => g.map((e) => e.id + (e.optional ? '?' : '')).join(' '))

t.test('expandOrder: depth-first cartesian composite expansion', async (t) => {
  const lookup = lookupOf([
    component('E'), component('F'), component('A'), component('B'), component('C'), component('D'),
    composite('O', [['A', 'B'], ['C', 'D']]), composite('P', [['A'], ['Q']]), composite('Q', [['C', 'A']]),
  ])
  t.same(names(await expandOrder(order(['E', 'O', 'F']), lookup)), ['E A B F', 'E C D F'])
  t.same(names(await expandOrder(order(['E', ['O', true], 'F']), lookup)), ['E A B F', 'E C D F', 'E F'],
    'an optional composite keeps its members\' flags and is also tried without')
  t.same(names(await expandOrder(order(['A', 'O']), lookup)), ['A B', 'A C D'], 'duplicates run once per walk')
  t.same(names(await expandOrder(order(['P', 'D'], ['E']), lookup)), ['A D', 'C A D', 'E'], 'nested composites')
  t.same(names(await expandOrder(order(['O', 'O']), lookup)), ['A B', 'A B C D', 'C D A B', 'C D'])
  await t.rejects(expandOrder(order(['nope']), lookup), /unknown nope/)
})

function fakeRun(table: Record<string, Partial<DetectOutcome>>, calls: string[], inflight?: { now: number; max: number }) {
  return async (bp: BuildpackDescriptor): Promise<DetectOutcome> => {
    calls.push(bp.id)
    if (inflight) {
      inflight.now++
      inflight.max = Math.max(inflight.max, inflight.now)
      await new Promise((r) => setImmediate(r))
      inflight.now--
    }
    const o = table[bp.id]
    if (!o) throw new Error(`crash in ${bp.id}`)
    return { code: 0, output: `${bp.id} says hi`, ...o }
  }
}

t.test('detect runs a group in parallel, each buildpack at most once', async (t) => {
  const lookup = lookupOf([component('A'), component('B'), component('C'), component('D'), composite('O', [['A', 'B'], ['A', 'C']])])
  const calls: string[] = []
  const inflight = { now: 0, max: 0 }
  const r = await detect(order(['O', 'D']), lookup, fakeRun({ A: {}, B: { code: 100 }, C: {}, D: {} }, calls, inflight))
  t.ok(r.ok)
  if (r.ok) t.same(r.group.map((g) => g.id), ['A', 'C', 'D'])
  t.same(calls.sort(), ['A', 'B', 'C', 'D'])
  t.equal(inflight.max, 3, 'the first group ran its three detects together')
  t.same(r.rows.map((x) => `${x.id}:${x.status}`), ['A:pass', 'B:fail', 'D:pass', 'C:pass'])
})

t.test('detect failure: 20 vs 21 and the table', async (t) => {
  const lookup = lookupOf([component('A'), component('B'), component('C')])
  const calls: string[] = []
  const failed = await detect(order(['A', 'B'], ['C']), lookup, fakeRun({ A: {}, B: { code: 100 }, C: { code: 100 } }, calls))
  t.same(failed.ok ? 'ok' : failed.exitCode, 20)
  const errored = await detect(order(['A', 'B'], ['C']), lookup, fakeRun({ A: {}, B: { code: 2 }, C: { code: 100 } }, []))
  t.same(errored.ok ? 'ok' : errored.exitCode, 21)
  const crashed = await detect(order(['A', 'B']), lookup, fakeRun({ A: {} }, []))
  t.same(crashed.ok ? 'ok' : crashed.exitCode, 21)
  t.match(crashed.rows.find((r) => r.id === 'B')?.error, /crash in B/)
  const optErr = await detect(order(['A', ['B', true], 'C']), lookup, fakeRun({ A: {}, B: { code: 5 }, C: { code: 100 } }, []))
  t.same(optErr.ok ? 'ok' : optErr.exitCode, 21, 'an optional error counts toward 21')
  const table = formatDetectTable(errored.rows)
  t.match(table, /^A@1\.0\.0 +pass$/m)
  t.match(table, /^B@1\.0\.0 +error \(exit code 2\)$/m)
  t.match(table, /^C@1\.0\.0 +fail$/m)
  const loud = await detect(order(['B']), lookup, fakeRun({ B: { code: 2, output: 'line one\nline two\n' } }, []))
  t.equal(formatDetectTable(loud.rows, { withOutput: true }), 'B@1.0.0  error (exit code 2)\n    line one\n    line two')
  const e = new DetectFailedError(21, errored.rows)
  t.equal(e.code, 'ERR_DETECT_FAILED')
  t.equal(e.exitCode, 21)
  t.match(e.message, /B@1\.0\.0 +error/)
})

t.test('an optional composite whose groups fail is dropped', async (t) => {
  const lookup = lookupOf([component('A'), component('B'), component('E'), composite('O', [['A', 'B']])])
  const r = await detect(order([['O', true], 'E']), lookup, fakeRun({ A: {}, B: { code: 100 }, E: {} }, []))
  t.ok(r.ok)
  if (r.ok) t.same(r.group.map((g) => g.id), ['E'], 'the whole composite goes, not just the failing member')
  const r2 = await detect(order([['O', true], 'E']), lookup, fakeRun({ A: { plan: { provides: [{ name: 'x' }], requires: [], or: [] } }, B: {}, E: {} }, []))
  t.ok(r2.ok)
  if (r2.ok) t.same(r2.group.map((g) => g.id), ['E'], 'an unused provide fails the sub-group, then the composite is dropped')
  const r3 = await detect(order([['O', true], 'E']), lookup, fakeRun({ A: {}, B: {}, E: {} }, []))
  if (r3.ok) t.same(r3.group.map((g) => g.id), ['A', 'B', 'E'])
  else t.fail('expected ok')
})

t.test('target mismatch errors without running', async (t) => {
  const arm = component('ARM', '1.0.0', '[[targets]]\nos = "linux"\narch = "arm64"')
  const lookup = lookupOf([arm, component('A')])
  const calls: string[] = []
  const r = await detect(order(['A', 'ARM'], ['A']), lookup, fakeRun({ A: {}, ARM: {} }, calls), { target: { os: 'linux', arch: 'amd64' } })
  t.ok(r.ok)
  if (r.ok) t.same(r.group.map((g) => g.id), ['A'])
  t.same(calls, ['A'])
  t.match(r.rows.find((x) => x.id === 'ARM')?.error, /no target/)
  const optCalls: string[] = []
  const withOpt = await detect(order(['A', ['ARM', true]]), lookup, fakeRun({ A: {}, ARM: {} }, optCalls), { target: { os: 'linux', arch: 'amd64' } })
  t.ok(withOpt.ok)
  if (withOpt.ok) t.same(withOpt.group.map((g) => g.id), ['A', 'ARM'], 'an optional mismatch still runs detect (lifecycle)')
  t.same(optCalls.sort(), ['A', 'ARM'])
})

t.test('works with a BuildpackStore lookup and versions', async (t) => {
  const store = createBuildpackStore()
  t.ok(store)
  const lookup = lookupOf([component('A', '1.0.0'), component('A', '2.0.0')])
  const r = await detect([{ group: [{ id: 'A', version: '2.0.0', optional: false }] }], lookup, fakeRun({ A: {} }, []))
  t.ok(r.ok)
  if (r.ok) t.same(r.group, [{ id: 'A', version: '2.0.0', api: '0.10' }])
})

t.test('accepts the platform order.toml shape (optional omitted)', async (t) => {
  const lookup = lookupOf([component('A'), component('B')])
  const r = await detect([{ group: [{ id: 'A' }, { id: 'B', optional: true }] }], lookup, fakeRun({ A: {}, B: { code: 100 } }, []))
  t.ok(r.ok)
  if (r.ok) t.same(r.group.map((g) => g.id), ['A'])
})

t.test('an abort ends detection instead of becoming an error row', async (t) => {
  const lookup = lookupOf([component('A'), component('B')])
  const ac = new AbortController()
  const run = async (bp: BuildpackDescriptor): Promise<DetectOutcome> => {
    if (bp.id === 'B') {
      ac.abort()
      throw ac.signal.reason
    }
    return { code: 0, output: '' }
  }
  await t.rejects(detect(order(['A', 'B']), lookup, run, { signal: ac.signal }), { name: 'AbortError' })
})
