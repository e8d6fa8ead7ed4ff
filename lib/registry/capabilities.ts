/** What a client learned about registries, kept between runs (a small JSON file): which hosts
 * refuse whole-body uploads (413, a proxy's body cap) and which mount sources refuse mounts.
 * Without it every run pays again: a 413 can come only after the proxy took its cap of bytes,
 * and a refused mount costs a round trip per source. A fact expires after `ttlMs` (default 7
 * days) so a registry that changed is tried the normal way again. Reading and writing are
 * best effort: a missing, damaged or unwritable file only means starting from nothing.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

/** Facts the client consults and adds to while it runs. */
export interface RegistryCapabilities {
  /** Registries that answered 413 to a whole-body upload: chunked uploads from the start. */
  readonly chunked: Set<string>
  /** `registry|source` pairs whose mounts were refused. */
  readonly refusedMounts: Set<string>
  /** Writes what was learned this run, merged with what the file holds now; never throws. */
  save(): void
}

interface FileShape { version: 1; chunked: Record<string, number>; refusedMounts: Record<string, number> }

const DEFAULT_TTL_MS = 7 * 24 * 3600 * 1000

function read(file: string, now: number, ttlMs: number): FileShape {
  const empty: FileShape = { version: 1, chunked: {}, refusedMounts: {} }
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    return empty
  }
  const fresh = (v: unknown): Record<string, number> => {
    const out: Record<string, number> = {}
    if (typeof v !== 'object' || v === null) return out
    for (const [k, t] of Object.entries(v)) if (typeof t === 'number' && t <= now && now - t < ttlMs) out[k] = t
    return out
  }
  const o = raw as Partial<FileShape>
  return o && o.version === 1 ? { version: 1, chunked: fresh(o.chunked), refusedMounts: fresh(o.refusedMounts) } : empty
}

/**
 * Loads the capabilities kept in `file` (none when `file` is undefined: facts then live only as
 * long as the client). `log` hears about facts applied from the file.
 */
export function loadCapabilities(file: string | undefined, o: { now?: () => number; ttlMs?: number; log?: (line: string) => void } = {}): RegistryCapabilities {
  const now = o.now ?? Date.now
  const ttlMs = o.ttlMs ?? DEFAULT_TTL_MS
  const start = file ? read(file, now(), ttlMs) : { version: 1 as const, chunked: {}, refusedMounts: {} }
  const chunked = new Set(Object.keys(start.chunked))
  const refusedMounts = new Set(Object.keys(start.refusedMounts))
  for (const r of chunked) o.log?.(`registry ${r}: chunked uploads (it refused a whole-body upload before)`)
  return {
    chunked,
    refusedMounts,
    save() {
      const added = (set: Set<string>, had: Record<string, number>): string[] => [...set].filter((k) => !(k in had))
      const newChunked = added(chunked, start.chunked)
      const newRefused = added(refusedMounts, start.refusedMounts)
      if (!file || newChunked.length + newRefused.length === 0) return
      const t = now()
      // Another run may have written since we read: merge into what is there now.
      const cur = read(file, t, ttlMs)
      for (const k of newChunked) cur.chunked[k] = t
      for (const k of newRefused) cur.refusedMounts[k] = t
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
