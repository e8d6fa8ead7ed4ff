import t from 'tap'
import { compare, sameCounts, spread, timeCmd } from '../../benchmarks/lib/harness.js'

t.test('timeCmd: wall time, CPU seconds and peak RSS of a whole process', async (t) => {
  const s = await timeCmd({ argv: ['sh', '-c', 'echo hi'] })
  t.equal(s.stdout, 'hi\n')
  t.ok(s.wallMs > 0)
  t.ok(s.cpuS >= 0 && s.cpuS === s.userS + s.sysS)
  t.ok(s.peakRssMiB > 0)
  await t.rejects(timeCmd({ argv: ['sh', '-c', 'exit 3'] }), /exited 3/)
})

t.test('compare: interleaved, warm-ups not counted, at least 5 runs, work kept from any run', async (t) => {
  const order: string[] = []
  const side = (name: string) => ({
    name,
    prepare(r: { index: number; warmup: boolean }) {
      order.push(`${name}${r.warmup ? 'w' : r.index}`)
      return { argv: ['true'] }
    },
    finish(r: { warmup: boolean }) {
      return r.warmup ? { requests: 3 } : undefined
    },
  })
  const row = await compare({ id: 'x', title: 'x', lading: side('L'), peer: side('P'), runs: 2, log: () => {} })
  t.equal(row.runs, 5, 'never fewer than 5 counted runs')
  t.same(order, ['Pw', 'Lw', 'L0', 'P0', 'P1', 'L1', 'L2', 'P2', 'P3', 'L3', 'L4', 'P4'], 'A B, then B A: who goes first alternates')
  t.equal(row.lading.samples.length, 5)
  t.same(row.lading.work, { requests: 3 })
  t.ok(row.ratio.min <= row.ratio.max)
  t.ok(row.sameWork.ok)
})

t.test('sameCounts and spread', async (t) => {
  t.same(sameCounts(['bytesUp'])({ bytesUp: 10 }, { bytesUp: 10 }), { ok: true, note: 'bytesUp 10 vs 10' })
  t.notOk(sameCounts(['bytesUp'])({ bytesUp: 10 }, { bytesUp: 11 }).ok)
  t.ok(sameCounts(['bytesUp'], 0.1)({ bytesUp: 10 }, { bytesUp: 11 }).ok)
  t.notOk(sameCounts(['bytesUp'])(undefined, { bytesUp: 1 }).ok)
  t.same(spread([3, 1, 2]), { median: 2, min: 1, max: 3 })
})

t.test('compare without a peer: a lading-only row, every run\'s work given to the check', async (t) => {
  const order: string[] = []
  let n = 0
  const row = await compare({
    id: 'solo', title: 'solo', runs: 5, peerNote: 'published: 61 s', log: () => {},
    lading: {
      name: 'L',
      prepare(r) { order.push(r.warmup ? 'w' : String(r.index)); return { argv: ['true'] } },
      finish() { return { requests: ++n } },
    },
    check: (l, p, all) => ({ ok: !p && all.lading.length === 6 && all.peer.length === 0, note: `first ${l?.requests}, runs ${all.lading.length}` }),
  })
  t.same(order, ['w', '0', '1', '2', '3', '4'])
  t.equal(row.lading.samples.length, 5)
  t.ok(row.lading.cpuS.median >= 0 && row.lading.peakRssMiB.median > 0)
  t.equal(row.peer.name, 'published: 61 s')
  t.same(row.peer.samples, [])
  t.ok(Number.isNaN(row.ratio.median) && Number.isNaN(row.cpuRatio), 'no ratio without a peer')
  t.same(row.sameWork, { ok: true, note: 'first 1, runs 6' })
})
