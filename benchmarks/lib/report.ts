/**
 * The shape of benchmarks/results/latest.json, and how a benchmark's return value becomes it:
 * harness rows pass through; a result in the older shape (top-level `lading.ms`, `peer.ms`,
 * `ratio`) becomes one row marked as not measured by the harness, so it is shown but flagged.
 */
import type { Row, SideStats, Spread } from './harness.js'
import type { FleetPoint } from '../rebase.js'

/** One benchmark module's stored result. */
export interface StoredResult {
  benchmark: string
  /** The module's file name (without .ts). */
  file?: string
  command?: string
  date?: string
  machine?: Record<string, unknown>
  seconds?: number
  options?: Record<string, unknown>
  rows: Row[]
  scaling?: FleetPoint[]
  [extra: string]: unknown
}

/** All of latest.json. */
export interface Report { date: string; machine: Record<string, unknown>; results: StoredResult[] }

const one = (x: number): Spread => ({ median: x, min: x, max: x })

function legacySide(x: Record<string, unknown> | undefined, fallback: string): SideStats {
  const ms = Number(x?.ms ?? NaN)
  return {
    name: String(x?.name ?? fallback), wallMs: one(ms), cpuS: one(NaN),
    peakRssMiB: one(Number(x?.peakRssMiB ?? NaN)), samples: [ms],
  }
}

/**
 * A module's return value as a StoredResult with rows. `file` (the module's file name) names a
 * result that names itself neither as `benchmark` nor as `name`.
 */
export function normalize(raw: Record<string, unknown>, file = 'benchmark'): StoredResult {
  const name = String(raw.benchmark ?? raw.name ?? file)
  if (Array.isArray(raw.rows)) return { ...raw, benchmark: name } as unknown as StoredResult
  const lading = legacySide(raw.lading as Record<string, unknown> | undefined, 'lading')
  const peer = legacySide(raw.peer as Record<string, unknown> | undefined, 'peer')
  const ratio = Number(raw.ratio ?? peer.wallMs.median / lading.wallMs.median)
  const row: Row = {
    id: name, title: `${name} (not measured by the harness: one sample, no CPU figures)`, runs: Number(raw.runs ?? 1), lading, peer,
    ratio: one(Math.round(ratio * 100) / 100), cpuRatio: NaN,
    sameWork: { ok: false, note: 'not checked (older benchmark shape)' },
  }
  return { ...raw, benchmark: name, rows: [row] }
}
