/**
 * Runs every benchmark in this folder and writes benchmarks/results/latest.json and a short
 * markdown table of the ratios (benchmarks/results/latest.md). `npm run bench`.
 * Set BENCH_SIZE_MB to shrink the data (default 512) and BENCH_RUNS for repetitions (default 3).
 */
import { writeFile, mkdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { machine } from './lib/measure.js'

interface BenchModule { run(opts: Record<string, unknown>): Promise<Record<string, unknown>> }

const BENCHMARKS: Record<string, () => Promise<BenchModule>> = {
  'layer-create': () => import('./layer-create.js') as Promise<BenchModule>,
  'push-large-layer': () => import('./push.js') as Promise<BenchModule>,
  'build-publish': () => import('./build.js') as Promise<BenchModule>,
  rebase: () => import('./rebase.js') as Promise<BenchModule>,
  builder: () => import('./builder.js') as Promise<BenchModule>,
  'node-app': () => import('./node-app.js') as Promise<BenchModule>,
}

async function main(): Promise<void> {
  const sizeMiB = Number(process.env.BENCH_SIZE_MB ?? 512)
  const runs = Number(process.env.BENCH_RUNS ?? 3)
  const only = process.argv.slice(2)
  const results: Record<string, unknown>[] = []
  for (const [name, load] of Object.entries(BENCHMARKS)) {
    if (only.length && !only.includes(name)) continue
    process.stderr.write(`running ${name}...\n`)
    const mod = await load()
    results.push(await mod.run({ sizeMiB, runs }))
  }
  const out = { date: new Date().toISOString(), machine: machine(), results }
  const dir = fileURLToPath(new URL('./results/', import.meta.url))
  await mkdir(dir, { recursive: true })
  await writeFile(`${dir}latest.json`, `${JSON.stringify(out, null, 2)}\n`)
  await writeFile(`${dir}latest.md`, table(out))
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`)
}

function table(out: { date: string; machine: Record<string, unknown>; results: Record<string, unknown>[] }): string {
  const rows = out.results.map((r) => {
    const l = r.lading as Record<string, unknown> | undefined
    const p = r.peer as Record<string, unknown> | undefined
    // A `|` inside a cell (peer names like `tar|gzip -6`) would end the cell.
    const cell = (v: unknown): string => String(v ?? '').replaceAll('|', '\\|')
    return `| ${cell(r.benchmark)} | ${cell(fmt(l))} | ${cell(`${p?.name ?? ''}: ${fmt(p)}`)} | ${cell(r.ratio)} |`
  })
  const m = out.machine
  return [
    `Benchmarks run ${out.date} on ${m.cpu} (${m.cores} cores, ${m.memGiB} GiB), Node ${m.node}.`,
    '',
    '| benchmark | lading | peer | ratio (peer time / lading time) |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n')
}

function fmt(x: Record<string, unknown> | undefined): string {
  if (!x) return ''
  const parts: string[] = []
  if (x.ms !== undefined) parts.push(`${x.ms} ms`)
  if (x.mibPerSec !== undefined) parts.push(`${x.mibPerSec} MiB/s`)
  if (x.mbps !== undefined) parts.push(`${x.mbps} MB/s`)
  if (x.peakRssMiB !== undefined) parts.push(`peak RSS ${x.peakRssMiB} MiB`)
  return parts.join(', ')
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`)
  process.exit(1)
})
