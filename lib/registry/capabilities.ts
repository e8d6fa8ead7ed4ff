/** What a client learned about registries, kept between runs (a small JSON file): which hosts
 * refuse whole-body uploads (413, a proxy's body cap), which mount sources refuse mounts, how a
 * host answered its ping (scheme and auth challenge), whether it refuses manifests that name
 * blobs it lacks, and whether it ignores a blob sent on the POST. Without it every run pays
 * again: a 413 can come only after the proxy took its cap of bytes, a refused mount costs a
 * round trip per source, a ping a round trip per process. A fact expires after `ttlMs` (default
 * 7 days) so a registry that changed is tried the normal way again. Reading and writing are
 * best effort: a missing, damaged or unwritable file only means starting from nothing.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Challenge } from './challenge.js'

/** How a registry answered `GET /v2/`: the base URL and the challenge (none: anonymous). */
export interface KeptPing {
  base: string
  challenge?: Challenge
}

/** Facts the client consults and adds to while it runs. */
export interface RegistryCapabilities {
  /** Registries that answered 413 to a whole-body upload: chunked uploads from the start. */
  readonly chunked: Set<string>
  /** `registry|source` pairs whose mounts were refused. */
  readonly refusedMounts: Set<string>
  /** Registries that refused a manifest naming a layer they lacked (MANIFEST_BLOB_UNKNOWN): a manifest may go first. */
  readonly validatesManifests: Set<string>
  /** Registries that answered a POST carrying the blob and `?digest=` by opening a session (202) instead of storing it. */
  readonly singlePostIgnored: Set<string>
  /** Ping answers by registry; a session that finds one here starts without `GET /v2/`. */
  readonly pings: Map<string, KeptPing>
  /** Writes what was learned this run, merged with what the file holds now; never throws. */
  save(): void
}

type Stamped = Record<string, number>
interface StampedPing extends KeptPing { t: number }
interface FileShape {
  version: 1
  chunked: Stamped
  refusedMounts: Stamped
  validatesManifests: Stamped
  singlePostIgnored: Stamped
  pings: Record<string, StampedPing>
}
const SETS = ['chunked', 'refusedMounts', 'validatesManifests', 'singlePostIgnored'] as const

const DEFAULT_TTL_MS = 7 * 24 * 3600 * 1000
// Facts kept per kind: a CI machine that meets a new loopback registry (a new port) every test run
// would otherwise read and rewrite hundreds of pings, all of them dead, for a week.
const MAX_FACTS = 200

const empty = (): FileShape => ({ version: 1, chunked: {}, refusedMounts: {}, validatesManifests: {}, singlePostIgnored: {}, pings: {} })

function read(file: string, now: number, ttlMs: number): FileShape {
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    return empty()
  }
  const fresh = (t: unknown): t is number => typeof t === 'number' && t <= now && now - t < ttlMs
  const stamped = (v: unknown): Stamped => {
    const out: Stamped = {}
    if (typeof v !== 'object' || v === null) return out
    for (const [k, t] of Object.entries(v)) if (fresh(t)) out[k] = t
    return out
  }
  const o = raw as Partial<Record<keyof FileShape, unknown>> | null
  if (!o || o.version !== 1) return empty()
  const out = empty()
  for (const k of SETS) out[k] = stamped(o[k])
  if (typeof o.pings === 'object' && o.pings !== null) {
    for (const [k, v] of Object.entries(o.pings)) {
      const p = keptPing(v)
      if (p && fresh((v as { t?: unknown }).t)) out.pings[k] = { ...p, t: (v as { t: number }).t }
    }
  }
  return out
}

/** A ping entry as read from the file, or undefined when it is not one (a damaged file is ignored). */
function keptPing(v: unknown): KeptPing | undefined {
  if (typeof v !== 'object' || v === null) return undefined
  const { base, challenge } = v as { base?: unknown; challenge?: unknown }
  if (typeof base !== 'string' || !/^https?:\/\/[^/]+$/.test(base)) return undefined
  if (challenge === undefined) return { base }
  const c = challenge as { scheme?: unknown; params?: unknown }
  if ((c?.scheme !== 'basic' && c?.scheme !== 'bearer') || typeof c.params !== 'object' || c.params === null) return undefined
  const params: Record<string, string> = {}
  for (const [k, x] of Object.entries(c.params)) if (typeof x === 'string') params[k] = x
  return { base, challenge: { scheme: c.scheme, params } }
}

/** The MAX_FACTS most recently stamped entries of `o`. */
function newest<V>(o: Record<string, V>, stamp: (e: [string, V]) => number): Record<string, V> {
  const entries = Object.entries(o)
  if (entries.length <= MAX_FACTS) return o
  return Object.fromEntries(entries.sort((a, b) => stamp(b) - stamp(a)).slice(0, MAX_FACTS))
}

/** The parts of a ping worth keeping: no per-request scope or error parameters. */
export function pingToKeep(base: string, challenge: Challenge | undefined): KeptPing {
  if (!challenge) return { base }
  const params: Record<string, string> = {}
  for (const k of ['realm', 'service']) if (challenge.params[k] !== undefined) params[k] = challenge.params[k]
  return { base, challenge: { scheme: challenge.scheme, params } }
}

/**
 * Loads the capabilities kept in `file` (none when `file` is undefined: facts then live only as
 * long as the client). `log` hears about facts applied from the file.
 */
export function loadCapabilities(file: string | undefined, o: { now?: () => number; ttlMs?: number; log?: (line: string) => void } = {}): RegistryCapabilities {
  const now = o.now ?? Date.now
  const ttlMs = o.ttlMs ?? DEFAULT_TTL_MS
  const start = file ? read(file, now(), ttlMs) : empty()
  const sets = Object.fromEntries(SETS.map((k) => [k, new Set(Object.keys(start[k]))])) as Record<(typeof SETS)[number], Set<string>>
  const pings = new Map(Object.entries(start.pings).map(([k, { t: _t, ...p }]) => [k, p as KeptPing]))
  // A full file holds 200 pings: those still the objects read here need no comparing at save.
  const unchanged = new WeakSet<KeptPing>(pings.values())
  for (const r of sets.chunked) o.log?.(`registry ${r}: chunked uploads (it refused a whole-body upload before)`)
  return {
    ...sets,
    pings,
    save() {
      const added = SETS.map((k) => [k, [...sets[k]].filter((x) => !(x in start[k]))] as const)
      const samePing = (a: KeptPing | undefined, b: KeptPing): boolean => JSON.stringify(a && pingToKeep(a.base, a.challenge)) === JSON.stringify(b)
      const changedPings = [...pings].filter(([k, p]) => !unchanged.has(p) && !samePing(start.pings[k], p))
      const forgotten = Object.keys(start.pings).filter((k) => !pings.has(k))
      if (!file || added.every(([, ks]) => ks.length === 0) && changedPings.length + forgotten.length === 0) return
      const t = now()
      // Another run may have written since we read: merge into what is there now.
      const cur = read(file, t, ttlMs)
      for (const [k, ks] of added) for (const x of ks) cur[k][x] = t
      for (const [k, p] of changedPings) cur.pings[k] = { ...p, t }
      for (const k of forgotten) delete cur.pings[k]
      for (const k of SETS) cur[k] = newest(cur[k], ([, t]) => t)
      cur.pings = newest(cur.pings, ([, p]) => p.t)
      try {
        mkdirSync(dirname(file), { recursive: true })
        const tmp = `${file}.${process.pid}.tmp`
        writeFileSync(tmp, `${JSON.stringify(cur, null, 2)}\n`)
        renameSync(tmp, file)
      } catch {
        // Not kept: the next run learns it again.
      }
    },
  }
}
