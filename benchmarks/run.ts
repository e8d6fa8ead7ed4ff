/**
 * Runs every benchmark module in this folder (each NAME.ts exporting `run`), or those named on
 * the command line, and writes benchmarks/results/latest.json, latest.md, the SVG charts, and
 * the README's benchmark block (between its markers). Results of benchmarks not run this time
 * are kept from the previous latest.json, each with its own date, so one benchmark can be re-run
 * alone. `npm run bench [-- NAME ...]`; BENCH_SIZE_MB (default 256), BENCH_RUNS (default 5).
 */
import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { machine } from './lib/measure.js'
import type { BenchOptions } from './lib/harness.js'
import { normalize, type Report, type StoredResult } from './lib/report.js'
import { markdown, readmeBlock, replaceBlock } from './lib/markdown.js'
import { fleetChart, ratioChart } from './lib/charts.js'
import { BENCH_REGISTRY } from './lib/counting-registry.js'

const HERE = fileURLToPath(new URL('./', import.meta.url))
const RESULTS = `${HERE}results/`
const README = fileURLToPath(new URL('../README.md', import.meta.url))

/** Every benchmark module here: NAME.ts beside this file, except this runner. */
async function modules(): Promise<string[]> {
  return (await readdir(HERE)).filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.endsWith('.test.ts')).map((f) => f.slice(0, -3)).sort()
}

async function previous(): Promise<StoredResult[]> {
  try {
    const old = JSON.parse(await readFile(`${RESULTS}latest.json`, 'utf8')) as Partial<Report>
    return Array.isArray(old.results) ? old.results.filter((r) => typeof r?.benchmark === 'string' && Array.isArray(r.rows)) : []
  } catch {
    return []
  }
}

async function main(): Promise<void> {
  const opts: BenchOptions = {
    sizeMiB: Number(process.env.BENCH_SIZE_MB ?? 256),
    runs: Math.max(5, Number(process.env.BENCH_RUNS ?? 5)),
    warmup: 1,
  }
  const names = await modules()
  const only = process.argv.slice(2)
  for (const n of only) if (!names.includes(n)) throw new Error(`no benchmark ${n} (have: ${names.join(', ')})`)
  const failed: string[] = []
  const fresh = new Map<string, StoredResult>()
  for (const name of names) {
    if (only.length && !only.includes(name)) continue
    process.stderr.write(`running ${name}...\n`)
    const started = Date.now()
    const mod = (await import(pathToFileURL(`${HERE}${name}.ts`).href)) as { run?: (o: BenchOptions) => Promise<Record<string, unknown>> }
    if (typeof mod.run !== 'function') continue
    try {
      const raw = await mod.run(opts)
      fresh.set(name, { ...normalize(raw, name), file: name, date: new Date().toISOString(), machine: machine(), seconds: Math.round((Date.now() - started) / 1000), options: { ...opts }, registry: BENCH_REGISTRY })
    } catch (err) {
      // One failing benchmark must not lose the others' fresh results: its previous result (if any) stays.
      failed.push(name)
      process.stderr.write(`${name} failed: ${(err as Error).stack ?? err}\n`)
    }
  }
  // The other modules' results are read only now, so a run of other modules that ended meanwhile is kept.
  const kept = new Map((await previous()).map((r) => [r.file ?? r.benchmark, r]))
  for (const [n, r] of fresh) kept.set(n, r)
  const results = names.map((n) => kept.get(n)).filter((r): r is StoredResult => !!r)
  const report: Report = { date: new Date().toISOString(), machine: machine(), results }
  await mkdir(RESULTS, { recursive: true })
  await writeFile(`${RESULTS}latest.json`, `${JSON.stringify(report, null, 2)}\n`)
  await writeFile(`${RESULTS}latest.md`, markdown(report))
  await writeFile(`${RESULTS}ratios.svg`, ratioChart(report))
  await writeFile(`${RESULTS}fleet-rebase.svg`, fleetChart(report))
  try {
    const readme = await readFile(README, 'utf8')
    const next = replaceBlock(readme, readmeBlock(report))
    if (next !== readme) await writeFile(README, next)
  } catch (err) {
    process.stderr.write(`README not updated: ${(err as Error).message}\n`)
  }
  process.stdout.write(markdown(report))
  if (failed.length) throw new Error(`failed: ${failed.join(', ')} (their previous results, if any, were kept)`)
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`)
  process.exit(1)
})
