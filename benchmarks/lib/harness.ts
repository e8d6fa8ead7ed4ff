/**
 * The one way benchmarks compare lading with a peer: both sides run as whole processes, one
 * after the other in turn (A B A B …, so load drifts hit both alike), after an untimed warm-up of
 * each, for at least 5 counted runs. Every run is timed under /usr/bin/time for the child's CPU
 * seconds (user+sys of it and all its children) and peak RSS (largest single process). A row
 * reports median and min–max of each, the ratio peer ÷ lading (above 1: lading is faster) with
 * the min–max of the per-pair ratios, and what work each side did (requests and bytes, when the
 * benchmark counts them) so a reader can check both sides did the same job.
 *
 * To add a benchmark: export `run(opts: BenchOptions): Promise<BenchResult>` from
 * benchmarks/NAME.ts and build its rows with `compare()`; benchmarks/run.ts finds it by itself.
 */
import { spawn } from 'node:child_process'
import { mkdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { median } from './measure.js'
import { benchDir, trackRun } from './temp.js'

/** Options every benchmark's run() receives from benchmarks/run.ts. */
export interface BenchOptions { sizeMiB: number; runs: number; warmup: number }

/** What a benchmark module returns: its rows plus anything else worth keeping. */
export interface BenchResult { benchmark: string; command: string; rows: Row[]; [extra: string]: unknown }

/** A command to time: argv[0] is looked up on PATH. */
export interface Cmd { argv: string[]; env?: NodeJS.ProcessEnv; cwd?: string }

/** Requests and bytes a side's run caused, as counted by the benchmark (proxy or registry log). */
export interface Work { requests?: number; bytesUp?: number; bytesDown?: number; outputBytes?: number; [k: string]: number | undefined }

/** One side of a comparison. */
export interface Side {
  name: string
  /** Called before every run (untimed): set-up such as a fresh registry; returns the command. */
  prepare(run: RunInfo): Promise<Cmd> | Cmd
  /** Called after every run (untimed): what the run did, and clean-up. */
  finish?(run: RunInfo, result: Sample): Promise<Work | void> | Work | void
}

/** Which run this is: -1..-warmup are warm-ups. */
export interface RunInfo { index: number; warmup: boolean }

/** One timed process. */
export interface Sample { wallMs: number; cpuS: number; userS: number; sysS: number; peakRssMiB: number; stdout: string; stderr: string; work?: Work }

/** Median and range of one quantity. */
export interface Spread { median: number; min: number; max: number }

/** A side's numbers in a row. */
export interface SideStats { name: string; wallMs: Spread; cpuS: Spread; peakRssMiB: Spread; work?: Work; samples: number[] }

/** One comparison: the unit of the results table and the charts. */
export interface Row {
  id: string
  title: string
  runs: number
  lading: SideStats
  peer: SideStats
  /** peer ÷ lading wall time: median of the medians' ratio, min–max over the paired runs. */
  ratio: Spread
  /** peer ÷ lading CPU seconds (medians). */
  cpuRatio: number
  /** Whether the benchmark's work check passed, and what it compared. */
  sameWork: { ok: boolean; note: string }
  /** A target the issue sets, e.g. { text: '≥ 1.0', met: true }. */
  target?: Target
  /** Further targets the issue sets on the same timing (digest: 1.5× `node -e ''`, and 1.3× plus its network time). */
  targets?: Target[]
}

/** A target and whether the row's median meets it. */
export interface Target { text: string; met: boolean }

const TIME = '/usr/bin/time'

/** Runs `cmd` under /usr/bin/time and returns its wall time, CPU seconds and peak RSS. */
export async function timeCmd(cmd: Cmd): Promise<Sample> {
  const dir = await benchDir('time')
  const out = join(dir, 'time')
  // The command's temp dir is inside this scratch dir (unless it names its own): what a command
  // killed when the benchmark is stopped leaves there (a lading build's scratch dir) goes with it.
  const tmp = join(dir, 'tmp')
  await mkdir(tmp)
  const env = cmd.env?.TMPDIR !== undefined ? cmd.env : { ...(cmd.env ?? process.env), TMPDIR: tmp }
  try {
    const start = process.hrtime.bigint()
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      // A process group of its own, so a signal to the benchmark takes the command down with it (trackRun).
      const child = spawn(TIME, ['-f', '%U %S %M', '-o', out, '--', ...cmd.argv], {
        env, cwd: cmd.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
      })
      const untrack = child.pid ? trackRun(child.pid) : () => {}
      child.once('exit', untrack)
      let so = ''
      let se = ''
      child.stdout.on('data', (d) => (so += d))
      child.stderr.on('data', (d) => (se += d))
      child.on('error', reject)
      child.on('close', (c) => resolve({ code: c, stdout: so, stderr: se }))
    })
    const wallMs = Number(process.hrtime.bigint() - start) / 1e6
    if (code !== 0) throw new Error(`${cmd.argv.join(' ')} exited ${code}: ${stderr.slice(-2000)}${stdout.slice(-500)}`)
    const line = (await readFile(out, 'utf8')).trim().split('\n').pop() ?? ''
    const [u, s, m] = line.split(/\s+/).map(Number)
    if (!Number.isFinite(u) || !Number.isFinite(s) || !Number.isFinite(m)) throw new Error(`cannot read ${TIME} output: ${line}`)
    return { wallMs, userS: u!, sysS: s!, cpuS: u! + s!, peakRssMiB: m! / 1024, stdout, stderr }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Options of compare(). */
export interface CompareOptions {
  id: string
  title: string
  lading: Side
  /** The peer; without one the row is lading's alone (its peer column says `peerNote`, ratio —). */
  peer?: Side
  /** What stands in the peer column of a lading-only row (e.g. a published figure). */
  peerNote?: string
  runs: number
  warmup?: number
  /**
   * Checks the two sides did the same job; returns a note, or throws/returns { ok: false }.
   * `all` holds the work of every run (warm-ups included) that reported some, for checks that
   * must hold on each run.
   */
  check?(lading: Work | undefined, peer: Work | undefined, all: { lading: Work[]; peer: Work[] }): { ok: boolean; note: string }
  target?(row: Omit<Row, 'target'>): Target
  targets?(row: Omit<Row, 'target'>): Target[]
  log?: (line: string) => void
}

/** Times both sides interleaved and returns one row. */
export async function compare(o: CompareOptions): Promise<Row> {
  const runs = Math.max(5, o.runs)
  const warmup = Math.max(1, o.warmup ?? 1)
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`))
  const got = { lading: [] as Sample[], peer: [] as Sample[] }
  // Work may be counted on any run (e.g. only the warm-up, through a counting proxy).
  const work: { lading?: Work; peer?: Work } = {}
  const all = { lading: [] as Work[], peer: [] as Work[] }
  for (let i = -warmup; i < runs; i++) {
    // Alternate who goes first, so neither side always follows the other's writes.
    const order = !o.peer ? (['lading'] as const) : (i & 1) === 0 ? (['lading', 'peer'] as const) : (['peer', 'lading'] as const)
    for (const which of order) {
      const side = o[which]!
      const info = { index: i, warmup: i < 0 }
      const cmd = await side.prepare(info)
      const sample = await timeCmd(cmd)
      const did = await side.finish?.(info, sample)
      if (did) {
        sample.work = did
        work[which] ??= did
        all[which].push(did)
      }
      if (i >= 0) got[which].push(sample)
    }
  }
  const stats = (name: string, xs: Sample[], w: Work | undefined): SideStats => ({
    name,
    wallMs: spread(xs.map((x) => x.wallMs), 1),
    cpuS: spread(xs.map((x) => x.cpuS), 3),
    peakRssMiB: spread(xs.map((x) => x.peakRssMiB), 1),
    ...(w ? { work: w } : {}),
    samples: xs.map((x) => round(x.wallMs, 1)),
  })
  const lading = stats(o.lading.name, got.lading, work.lading)
  const peer = o.peer ? stats(o.peer.name, got.peer, work.peer) : noPeer(o.peerNote ?? 'no same-run peer')
  const pairs = o.peer ? got.lading.map((l, i) => got.peer[i]!.wallMs / l.wallMs) : [NaN]
  const row: Omit<Row, 'target'> = {
    id: o.id, title: o.title, runs, lading, peer,
    ratio: { median: round(peer.wallMs.median / lading.wallMs.median, 2), min: round(Math.min(...pairs), 2), max: round(Math.max(...pairs), 2) },
    cpuRatio: round(peer.cpuS.median / Math.max(lading.cpuS.median, 1e-3), 2),
    sameWork: o.check ? o.check(lading.work, peer.work, all) : { ok: true, note: 'same command inputs' },
  }
  const target = o.target?.(row)
  const targets = o.targets?.(row)
  log(`  ${o.id}: lading ${lading.wallMs.median} ms (${lading.wallMs.min}–${lading.wallMs.max}), ${peer.name} ${peer.wallMs.median} ms; ratio ${row.ratio.median} (${row.ratio.min}–${row.ratio.max})${row.sameWork.ok ? '' : ' WORK DIFFERS'}`)
  return { ...row, ...(target ? { target } : {}), ...(targets?.length ? { targets } : {}) }
}

/** The peer side of a lading-only row: a name and no figures (NaN, printed as —). */
function noPeer(name: string): SideStats {
  const none = { median: NaN, min: NaN, max: NaN }
  return { name, wallMs: none, cpuS: none, peakRssMiB: none, samples: [] }
}

/** Median and range, rounded to `digits` decimals. */
export function spread(xs: readonly number[], digits = 1): Spread {
  return { median: round(median(xs), digits), min: round(Math.min(...xs), digits), max: round(Math.max(...xs), digits) }
}

export function round(x: number, digits = 1): number {
  return Math.round(x * 10 ** digits) / 10 ** digits
}

/** A work check: equal `keys` on both sides, within `slack` (a fraction) for byte counts. */
export function sameCounts(keys: readonly (keyof Work)[], slack = 0): (l?: Work, p?: Work) => { ok: boolean; note: string } {
  return (l, p) => {
    if (!l || !p) return { ok: false, note: 'work not counted' }
    const parts: string[] = []
    let ok = true
    for (const k of keys) {
      const a = l[k] ?? 0
      const b = p[k] ?? 0
      const fine = Math.abs(a - b) <= slack * Math.max(a, b)
      ok &&= fine
      parts.push(`${String(k)} ${a} vs ${b}${fine ? '' : ' (differs)'}`)
    }
    return { ok, note: parts.join(', ') }
  }
}

/** Reads `--name N` from argv for a benchmark's own command line. */
export function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name)
  const v = i > 0 ? Number(process.argv[i + 1]) : fallback
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a number`)
  return v
}

/** Options for a benchmark run on its own (`npx tsx benchmarks/x.ts`), from flags and the environment. */
export function cliOptions(defaultSize: number): BenchOptions {
  return {
    sizeMiB: flag('--size-mb', Number(process.env.BENCH_SIZE_MB ?? defaultSize)),
    runs: flag('--runs', Number(process.env.BENCH_RUNS ?? 5)),
    warmup: flag('--warmup', 1),
  }
}
