/** Detection over an order: expands composites into candidate groups, runs bin/detect once per buildpack, resolves each group. */
import { LadingError } from '../errors.js'
import { isComposite, type BuildpackDescriptor } from './descriptor.js'
import {
  elementKey, outcomeStatus, resolveGroup, type DetectOutcome, type GroupElement, type GroupResolution, type ResolvedGroup,
} from './resolve.js'
import { anyTargetMatches, type RunTarget } from './target.js'

/** One buildpack reference of an order group (order.toml, a composite's buildpack.toml or --buildpack flags). */
export interface OrderRef {
  id: string
  version?: string
  optional?: boolean
}

/** An order: groups tried in turn. Both this folder's OrderGroup and platform's order.toml shape fit. */
export type OrderInput = readonly { readonly group: readonly OrderRef[] }[]

/** Finds a buildpack descriptor by id and optional version (e.g. a BuildpackStore's lookup); throws when unknown. */
export type BuildpackLookup = (id: string, version?: string) => BuildpackDescriptor

type TryGroup = (elements: GroupElement[]) => Promise<GroupResolution>

interface Walk {
  lookup: BuildpackLookup
  tryGroup: TryGroup
}

// Mirrors the lifecycle's detectOrder: sub-groups of a composite get the remaining outer elements
// appended; an optional composite whose sub-groups all fail is retried without it.
async function walkOrder(w: Walk, order: OrderInput, done: GroupElement[], next: readonly OrderRef[], optional: boolean): Promise<GroupResolution> {
  let errored = false
  const log: string[] = []
  for (const g of order) {
    const r = await walkGroup(w, [...g.group, ...next], done)
    if (r.ok) return { ...r, log: [...log, ...r.log] }
    errored ||= r.errored
    log.push(...r.log)
  }
  if (optional) {
    const r = await walkGroup(w, next, done)
    return { ...r, log: [...log, ...r.log] }
  }
  return { ok: false, errored, log }
}

async function walkGroup(w: Walk, refs: readonly OrderRef[], doneIn: readonly GroupElement[]): Promise<GroupResolution> {
  const done = [...doneIn]
  for (let i = 0; i < refs.length; i++) {
    const ref = refs[i] as OrderRef
    // A buildpack runs at most once per group walk, however many composites bring it in.
    if (done.some((d) => d.id === ref.id)) continue
    const desc = w.lookup(ref.id, ref.version)
    if (isComposite(desc)) return walkOrder(w, desc.order, done, refs.slice(i + 1), ref.optional === true)
    const el: GroupElement = { id: desc.id, version: desc.version, api: desc.api, optional: ref.optional === true }
    if (desc.homepage !== undefined) el.homepage = desc.homepage
    done.push(el)
  }
  return w.tryGroup(done)
}

/**
 * Returns every candidate group the order expands to, in the order detection tries them
 * (composites expanded depth-first, duplicates skipped, optional composites also tried without).
 */
export async function expandOrder(order: OrderInput, lookup: BuildpackLookup): Promise<GroupElement[][]> {
  const out: GroupElement[][] = []
  await walkOrder({ lookup, tryGroup: async (els) => (out.push(els), { ok: false, errored: false, log: [] }) }, order, [], [], false)
  return out
}

/** One row of the detect report: what a buildpack said. */
export interface DetectRow {
  id: string
  version: string
  status: 'pass' | 'fail' | 'error'
  code: number
  error?: string
  output: string
}

/**
 * Result of detection: the resolved group and plan, or exit code 20/21 with every buildpack's
 * answer. `log` is the lifecycle resolver's log of every group tried, in order (resolve.ts).
 */
export type DetectResult =
  | ({ ok: true; rows: DetectRow[]; log: string[] } & ResolvedGroup)
  | { ok: false; exitCode: 20 | 21; rows: DetectRow[]; log: string[] }

/** Runs one component buildpack's bin/detect. A rejection counts as an error outcome. */
export type RunDetect = (bp: BuildpackDescriptor) => Promise<DetectOutcome>

/** Options of detect. */
export interface DetectOptions {
  /** Run-image target; when given, a required buildpack with no matching target errors without running. */
  target?: RunTarget
  /** When aborted, a rejecting runDetect ends detection with that rejection instead of an error row. */
  signal?: AbortSignal
}

/**
 * Drives detection (cnb-spec.md §2.2): tries the order's candidate groups in turn, running the
 * bin/detect of a group's new buildpacks in parallel, each id@version at most once overall, and
 * resolves each group with resolveGroup. Lookup failures throw; detect failures become rows.
 */
export async function detect(order: OrderInput, lookup: BuildpackLookup, runDetect: RunDetect, opts: DetectOptions = {}): Promise<DetectResult> {
  const memo = new Map<string, Promise<DetectOutcome>>()
  const settled = new Map<string, DetectOutcome>()
  const run = (el: GroupElement): Promise<DetectOutcome> => {
    const key = elementKey(el)
    let p = memo.get(key)
    if (!p) {
      const desc = lookup(el.id, el.version)
      // As the lifecycle: only a required buildpack's target mismatch is an error; an optional one just runs.
      if (opts.target && !el.optional && !anyTargetMatches(desc.targets, opts.target)) {
        const t = opts.target
        p = Promise.resolve({ code: -1, output: '', error: `no target of ${key} matches the run image (${t.os}/${t.arch}${t.variant ? `/${t.variant}` : ''})` })
      } else {
        p = Promise.resolve().then(() => runDetect(desc)).catch((err: unknown) => {
          if (opts.signal?.aborted) throw err
          return { code: -1, output: '', error: err instanceof Error ? err.message : String(err) }
        })
      }
      memo.set(key, p)
      p.then((o) => settled.set(key, o), () => undefined)
    }
    return p
  }
  const tryGroup: TryGroup = async (elements) => {
    const outcomes = await Promise.all(elements.map(run))
    const byKey = new Map(elements.map((el, i) => [elementKey(el), outcomes[i] as DetectOutcome]))
    return resolveGroup(elements, byKey)
  }
  const r = await walkOrder({ lookup, tryGroup }, order, [], [], false)
  await Promise.all(memo.values())
  const rows: DetectRow[] = []
  for (const key of memo.keys()) {
    const o = settled.get(key) ?? (await memo.get(key)) as DetectOutcome
    const at = key.indexOf('@') // ids never contain '@'
    const row: DetectRow = { id: key.slice(0, at), version: key.slice(at + 1), status: outcomeStatus(o), code: o.code, output: o.output }
    if (o.error !== undefined) row.error = o.error
    rows.push(row)
  }
  if (r.ok) return { ok: true, group: r.group, plan: r.plan, rows, log: r.log }
  return { ok: false, exitCode: r.errored ? 21 : 20, rows, log: r.log }
}

/**
 * Returns a readable table, one line per buildpack: `id@version  pass|fail|error (…)`; with
 * `withOutput`, an errored buildpack's output follows its line, indented (as the lifecycle logs it).
 */
export function formatDetectTable(rows: readonly DetectRow[], opts: { withOutput?: boolean } = {}): string {
  const width = Math.max(0, ...rows.map((r) => r.id.length + r.version.length + 1))
  return rows
    .map((r) => {
      const name = `${r.id}@${r.version}`.padEnd(width)
      const why = r.status === 'error' ? (r.error ?? `exit code ${r.code}`) : ''
      const line = `${name}  ${r.status}${why ? ` (${why})` : ''}`
      if (!opts.withOutput || r.status !== 'error' || r.output.trim() === '') return line
      return `${line}\n${r.output.trimEnd().split('\n').map((l) => `    ${l}`).join('\n')}`
    })
    .join('\n')
}

/** Detection found no group; `exitCode` is the lifecycle's 20 (all failed) or 21 (a buildpack errored). ERR_DETECT_FAILED. */
export class DetectFailedError extends LadingError {
  readonly exitCode: 20 | 21
  readonly rows: readonly DetectRow[]
  constructor(exitCode: 20 | 21, rows: readonly DetectRow[]) {
    super('ERR_DETECT_FAILED', `no buildpack group passed detection${exitCode === 21 ? ' (a buildpack errored)' : ''}:\n${formatDetectTable(rows)}`)
    this.exitCode = exitCode
    this.rows = rows
  }
}
