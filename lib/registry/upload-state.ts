/** Interrupted blob uploads kept between runs (issue #10 "resume across processes"): one small JSON
 * file per registry + repository + digest holding the upload session's Location and how many bytes
 * the registry acknowledged. The next run asks the registry about that session and sends only the
 * rest, or restarts when the registry has forgotten it. No hash state is kept: a blob we push has a
 * known digest, which the registry checks at the commit against every byte it holds. So a blob file
 * (an OCI layout's) is read from the offset only, and a stream is hashed again from its start.
 * No credential or token goes in the file; the Location's `_state` query is a session handle
 * (not a credential) but files are still 0600 in a 0700 directory, and logs redact it. Reading and
 * writing are best effort: a missing, damaged or unwritable file only means a full upload.
 */
import { createHash } from 'node:crypto'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import type { Digest } from '../digest/index.js'
import { processAlive } from '../process-alive.js'

/** Which upload a state file is about. */
export interface UploadKey { registry: string; repository: string; digest: Digest }

/** An upload session the registry acknowledged up to `offset` bytes. */
export interface PendingUpload extends UploadKey {
  size: number
  location: string
  offset: number
  /** Writer, so a live push in another process is not taken over. */
  pid: number
  host: string
  savedAt: number
}

/** Where pending uploads are kept. */
export interface UploadStateStore {
  /** The pending upload for `key`, unless missing, damaged, stale or owned by a live process. */
  load(key: UploadKey): PendingUpload | undefined
  /** Records (or moves forward) the session for `key`; never throws. */
  save(key: UploadKey, size: number, location: string, offset: number): void
  /** Forgets `key` (committed, or not resumable); never throws. */
  drop(key: UploadKey): void
}

/** Sessions older than this are not worth asking about (distribution purges uploads after 7 days by default). */
const MAX_AGE_MS = 24 * 3600 * 1000

function fileOf(dir: string, key: UploadKey): string {
  const id = createHash('sha256').update(`${key.registry}\n${key.repository}\n${key.digest}`).digest('hex').slice(0, 32)
  return join(dir, `${id}.json`)
}


function sameHost(location: string, registry: string): boolean {
  try {
    const host = new URL(location).host
    return host === registry || (registry === 'docker.io' && host.endsWith('.docker.io'))
  } catch {
    return false
  }
}

/** A store under `dir` (created 0700 on first save). `now` is injectable for tests. */
export function uploadStateStore(dir: string, o: { now?: () => number; maxAgeMs?: number } = {}): UploadStateStore {
  const now = o.now ?? Date.now
  const maxAge = o.maxAgeMs ?? MAX_AGE_MS
  const me = hostname()
  return {
    load(key) {
      let v: Partial<PendingUpload>
      try {
        v = JSON.parse(readFileSync(fileOf(dir, key), 'utf8')) as Partial<PendingUpload>
      } catch {
        return undefined
      }
      const ok = v.registry === key.registry && v.repository === key.repository && v.digest === key.digest &&
        typeof v.location === 'string' && /^https?:\/\//.test(v.location) && Number.isSafeInteger(v.offset) && Number.isSafeInteger(v.size) &&
        (v.offset as number) >= 0 && (v.offset as number) <= (v.size as number) && typeof v.savedAt === 'number' && now() - v.savedAt < maxAge
      if (!ok) return undefined
      // Bytes only ever go back to the registry they were meant for, whatever the file says.
      if (!sameHost(v.location as string, key.registry)) return undefined
      // Another process pushing the same blob right now: leave its session alone.
      if (v.host === me && typeof v.pid === 'number' && v.pid !== process.pid && processAlive(v.pid)) return undefined
      return v as PendingUpload
    },
    save(key, size, location, offset) {
      const file = fileOf(dir, key)
      const v: PendingUpload = { ...key, size, location, offset, pid: process.pid, host: me, savedAt: now() }
      try {
        mkdirSync(dir, { recursive: true, mode: 0o700 })
        const tmp = `${file}.${process.pid}.tmp`
        writeFileSync(tmp, `${JSON.stringify(v)}\n`, { mode: 0o600 })
        renameSync(tmp, file)
      } catch {
        // Not kept: an interrupted push then uploads from the start next time.
      }
    },
    drop(key) {
      try {
        rmSync(fileOf(dir, key), { force: true })
      } catch {
        // best effort
      }
    },
  }
}

/** One blob's session as the upload loop sees it: what an earlier run left, and where this one is. */
export interface SessionTracker {
  /** The session an interrupted earlier run left, to ask the registry about (see resumeSession). */
  readonly earlier: { location: string; offset: number; resumed: true; step: string; sent: () => number; size: number } | undefined
  /** The registry acknowledged `offset` bytes on `location` (the Location its answer gave). */
  save(location: string, offset: number): void
  drop(): void
}

/**
 * A tracker for `key` when the upload can be resumed by a later run: a store is configured, the
 * digest and size are known and the body can be read again from the start (a stream function).
 */
export function sessionTracker(store: UploadStateStore | undefined, key: Partial<UploadKey>, size: number | undefined,
  rereadable: boolean, log: (line: string) => void): SessionTracker | undefined {
  if (!store || !key.registry || key.repository === undefined || !key.digest || size === undefined || !rereadable) return undefined
  const k: UploadKey = { registry: key.registry, repository: key.repository, digest: key.digest }
  const found = store.load(k)
  const earlier = found && found.size === size
    ? { location: found.location, offset: found.offset, resumed: true as const, step: 'resume', sent: () => size, size }
    : undefined
  if (earlier) log(`upload: an earlier run left ${k.digest} at byte ${earlier.offset} of ${size}; asking the registry for that session`)
  let last = -1
  return {
    earlier,
    save(location, offset) {
      if (offset === last) return
      last = offset
      store.save(k, size, location, offset)
    },
    drop: () => store.drop(k),
  }
}
