import t from 'tap'
import { normalize } from '../../benchmarks/lib/report.js'
import { markdown, readmeBlock, replaceBlock, BEGIN, END } from '../../benchmarks/lib/markdown.js'
import { fleetChart, ratioChart } from '../../benchmarks/lib/charts.js'
import type { Row } from '../../benchmarks/lib/harness.js'

const s = (median: number, min = median, max = median) => ({ median, min, max })
const row: Row = {
  id: 'push-256', title: 'push | of 256 MiB', runs: 5,
  lading: { name: 'lading copy', wallMs: s(900, 800, 1000), cpuS: s(1.1), peakRssMiB: s(60), samples: [900] },
  peer: { name: 'skopeo copy', wallMs: s(1000), cpuS: s(0.9), peakRssMiB: s(21), samples: [1000] },
  ratio: s(1.11, 0.9, 1.3), cpuRatio: 0.82, sameWork: { ok: true, note: 'blobBytesUp 1 vs 1' }, target: { text: '≥ skopeo', met: true },
}
const report = {
  date: '2026-12-07T01:00:00.000Z', machine: { cpu: 'X', cores: 2, memGiB: 24, kernel: '6', node: 'v20' },
  results: [
    { benchmark: 'push', date: '2026-12-07T01:00:00.000Z', rows: [row], options: { sizeMiB: 256, runs: 5, warmup: 1 } },
    { benchmark: 'rebase', date: '2026-12-07T01:10:00.000Z', rows: [],
      scaling: [{ images: 100, runs: 3, wallMs: s(600, 500, 700), cpuS: s(1), peakRssMiB: s(70), requestsPerImage: 4, imagesPerSec: 166 }] },
  ],
}

t.test('older result shapes become one flagged row', async (t) => {
  const r = normalize({ benchmark: 'old', lading: { ms: 100 }, peer: { name: 'p', ms: 200 }, ratio: 2 })
  t.equal(r.rows.length, 1)
  t.equal(r.rows[0]!.ratio.median, 2)
  t.notOk(r.rows[0]!.sameWork.ok, 'work not checked')
  t.match(r.rows[0]!.title, /not measured by the harness/)
  t.equal(normalize({ benchmark: 'new', rows: [row] }).rows[0], row, 'harness rows pass through')
})

t.test('a result that names itself nowhere is named after its file, never "unnamed"', async (t) => {
  t.equal(normalize({ lading: { ms: 1 }, peer: { ms: 2 } }, 'node-app').benchmark, 'node-app')
  t.equal(normalize({ lading: { ms: 1 }, peer: { ms: 2 } }, 'node-app').rows[0]!.id, 'node-app')
  t.equal(normalize({ name: 'named', rows: [row] }, 'file').benchmark, 'named')
  t.equal(normalize({ rows: [row] }, 'file').benchmark, 'file')
})

t.test('a lading-only row prints — for the peer, also once read back from JSON (NaN → null)', async (t) => {
  const none = { median: NaN, min: NaN, max: NaN }
  const solo: Row = { ...row, id: 'fleet-apply', title: 'fleet apply', peer: { name: 'kpack (published)', wallMs: none, cpuS: none, peakRssMiB: none, samples: [] },
    ratio: none, cpuRatio: NaN, target: undefined }
  const back = JSON.parse(JSON.stringify({ ...report, results: [{ benchmark: 'fleet', rows: [solo] }] }))
  for (const r of [{ ...report, results: [{ benchmark: 'fleet', rows: [solo] }] }, back]) {
    const md = markdown(r)
    t.match(md, /\| fleet apply \| 900 ms \(800–1000\); 1\.1 CPU-s; 60 MiB \| kpack \(published\): — \| — \| — \|/)
    t.notMatch(md, / 0 MiB/)
    t.equal((ratioChart(r).match(/<circle/g) ?? []).length, 0, 'no ratio mark')
  }
})

t.test('markdown says when and where, escapes cells, lists min–max and targets', async (t) => {
  const md = markdown(report)
  t.match(md, /Measured between 2026-12-07 01:00 and 2026-12-07 01:10 UTC on X \(2 cores, 24 GiB\)/)
  t.match(md, /push \\\| of 256 MiB/)
  t.match(md, /1\.11 \(0\.9–1\.3\)/)
  t.match(md, /≥ skopeo: met/)
  const two = markdown({ ...report, results: [{ benchmark: 'startup', rows: [{ ...row, targets: [{ text: 'within 1.3× + network', met: false }] }] }] })
  t.match(two, /≥ skopeo: met; within 1\.3× \+ network: \*\*not met\*\*/, 'every target of a row, each with its verdict')
  t.match(md, /\| 100 images \| disk \| 600 ms \(500–700\) \| 166 \| 4 \|/)
})

t.test('the README block replaces only what is between the markers', async (t) => {
  const text = `a\n${BEGIN}\nold\n${END}\nb\n`
  const out = replaceBlock(text, readmeBlock(report))
  t.ok(out.startsWith('a\n') && out.endsWith('\nb\n'))
  t.notMatch(out, /\nold\n/)
  t.match(out, /ratios\.svg/)
  t.match(out, /fleet-rebase\.svg/)
  t.equal(replaceBlock('no markers', 'x'), 'no markers')
})

t.test('charts are standalone SVG with one mark per row and per fleet size', async (t) => {
  const r = ratioChart(report)
  t.match(r, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/)
  t.match(r, />push-256</)
  t.equal((r.match(/<circle/g) ?? []).length, 1)
  const f = fleetChart(report)
  t.equal((f.match(/<circle/g) ?? []).length, 1)
  t.match(f, /0\.60 s/)
  t.match(fleetChart({ ...report, results: [] }), /no fleet results yet/)
})

t.test('fleet points on a disk and a tmpfs registry: one line each in the chart, the storage named in the table', async (t) => {
  const point = (images: number, storage: 'disk' | 'tmpfs', ms: number) =>
    ({ images, runs: 3, wallMs: s(ms, ms - 50, ms + 50), cpuS: s(1), registryCpuS: s(2), peakRssMiB: s(70), requestsPerImage: 4, imagesPerSec: 100, registryStorage: storage })
  const two = { ...report, results: [{ benchmark: 'rebase', date: report.date, rows: [],
    scaling: [point(100, 'disk', 900), point(1000, 'disk', 8000), point(100, 'tmpfs', 500), point(1000, 'tmpfs', 4200)] }] }
  const f = fleetChart(two)
  t.equal((f.match(/<polyline/g) ?? []).length, 2)
  t.equal((f.match(/<circle/g) ?? []).length, 4)
  t.match(f, /registry storage on tmpfs/)
  const md = readmeBlock(two)
  t.match(md, /\| 1000 images \| disk \| 8000 ms \(7950–8050\) \|/)
  t.match(md, /\| 1000 images \| tmpfs \| 4200 ms \(4150–4250\) \| 100 \| 4 \| 1 CPU-s \| 2 CPU-s \|/)
})

t.test('each benchmark line says when it ran and how its registry was set up', async (t) => {
  const md = markdown({ ...report, results: [
    { benchmark: 'rebase', command: 'npx tsx benchmarks/rebase.ts', seconds: 9, date: '2026-12-07T19:10:00.000Z', registry: 'with the cache', rows: [] },
    { benchmark: 'push', command: 'npx tsx benchmarks/push.ts', date: '2026-12-07T11:00:00.000Z', rows: [] },
  ] })
  t.match(md, /- `rebase`: `npx tsx benchmarks\/rebase.ts` \(9 s\), run 2026-12-07 19:10 UTC; registry: with the cache/)
  t.match(md, /- `push`: `npx tsx benchmarks\/push.ts`, run 2026-12-07 11:00 UTC; registry: Debian docker-registry on loopback, blob-descriptor cache off/)
})
