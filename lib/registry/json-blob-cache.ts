/** A local content-addressed cache of small JSON blobs (image configs, run images' manifests)
 * lading pushed or read, and a repository wrapper that consults it: a config is immutable under
 * its digest, so a rebase that finds the app's config here skips its GET (a fleet rebase: 5
 * requests per image → 4), and one that finds the run image its label records skips that read. Entries
 * are checked against their digest and size on every read; a damaged or missing one is a miss
 * and the blob is read from the store as before. Best effort throughout: the cache never throws,
 * so a read-only or full disk only costs requests. Files are written whole (temp file + rename),
 * 0600 in a 0700 directory; nothing but blob bytes goes in (no credentials, no registry names).
 * Size is bounded: the oldest entries (by mtime, which a hit refreshes) go first. Reads and
 * writes are synchronous: each costs tens of microseconds, except creating a file, ~0.3-0.7 ms of
 * CPU on the 2-core test VM; the async versions cost about twice the CPU in thread-pool hand-offs.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { readdir, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { sha256, type Digest } from '../digest/index.js'
import { sniff } from './manifests.js'
import { readAll, type BlobStore, type Descriptor, type ImageIndex, type ImageManifest, type ManifestStore, type Parsed, type Repository } from '../oci/index.js'

/** Bounds of a JsonBlobCache; the defaults keep ~16k configs of a few KiB. */
export interface JsonBlobCacheOptions {
  /** Largest blob kept (default 1 MiB): configs, not layers. */
  maxEntryBytes?: number
  /** Total bytes kept (default 64 MiB). */
  maxBytes?: number
  /** Entries kept (default 16,384). */
  maxEntries?: number
  /** A process prunes on its first write when no prune ran for this long (default 1 h). */
  pruneIntervalMs?: number
  now?: () => number
}

const HEX = /^[0-9a-f]{64}$/
const STAMP = '.pruned'
/** A temp file this old is a writer that died (kill -9): removed by the next prune. */
const STALE_TMP_MS = 3600_000
/** Pruning evicts down to this share of a bound, so it does not run again on the next write. */
const LOW_WATER = 0.75

/** See the file comment. `dir` is created (0700) on the first write. */
export class JsonBlobCache {
  readonly maxEntryBytes: number
  readonly #maxBytes: number
  readonly #maxEntries: number
  readonly #interval: number
  readonly #now: () => number
  #ready = false
  #writes = 0
  #seq = 0
  #pruning: Promise<void> | undefined
  readonly #pending = new Set<Promise<unknown>>()

  constructor(readonly dir: string, o: JsonBlobCacheOptions = {}) {
    this.maxEntryBytes = o.maxEntryBytes ?? 1 << 20
    this.#maxBytes = o.maxBytes ?? 64 << 20
    this.#maxEntries = o.maxEntries ?? 16384
    this.#interval = o.pruneIntervalMs ?? 3600_000
    this.#now = o.now ?? Date.now
  }

  /** True for a sha256 JSON blob (by media type) no larger than maxEntryBytes. */
  accepts(d: Partial<Descriptor>): boolean {
    return typeof d.size === 'number' && d.size <= this.maxEntryBytes && typeof d.digest === 'string' && d.digest.startsWith('sha256:') &&
      typeof d.mediaType === 'string' && /json$/.test(d.mediaType)
  }

  #file(d: string): string | undefined {
    const hex = d.startsWith('sha256:') ? d.slice(7) : ''
    return HEX.test(hex) ? join(this.dir, hex) : undefined
  }

  /** True when an entry for `d` exists (not verified): a hint that this machine has seen the blob. */
  has(d: Digest): boolean {
    const f = this.#file(d)
    return f !== undefined && existsSync(f)
  }

  /** The bytes of `desc`, or undefined when absent or damaged (a damaged entry is removed). */
  async get(desc: Pick<Descriptor, 'digest'> & { size?: number }): Promise<Buffer | undefined> {
    const f = this.#file(desc.digest)
    if (!f) return undefined
    let bytes: Buffer
    try {
      bytes = readFileSync(f)
    } catch {
      return undefined
    }
    if ((desc.size !== undefined && bytes.length !== desc.size) || sha256(bytes) !== desc.digest) {
      try {
        rmSync(f, { force: true })
      } catch {
        // Left for the next prune.
      }
      return undefined
    }
    this.#touch(f)
    return bytes
  }

  // Eviction goes by mtime: what is used stays.
  #touch(f: string): void {
    const t = new Date(this.#now())
    try {
      utimesSync(f, t, t)
    } catch {
      // Gone meanwhile (another process pruned): nothing to keep.
    }
  }

  /** Keeps `bytes` under their sha256 digest; never throws. */
  async put(bytes: Uint8Array): Promise<void> {
    if (bytes.length > this.maxEntryBytes) return
    const f = this.#file(sha256(bytes))!
    if (existsSync(f)) {
      // Pushed or read again: in use, so not the next to go.
      this.#touch(f)
      return
    }
    const tmp = `${f}.${process.pid}.${this.#seq++}.tmp`
    // Synchronous: for a few KiB, the thread pool's round trips cost more CPU than the writes (twice as much, measured).
    try {
      if (!this.#ready) mkdirSync(this.dir, { recursive: true, mode: 0o700 })
      this.#ready = true
      writeFileSync(tmp, bytes, { mode: 0o600, flag: 'wx' })
      renameSync(tmp, f)
    } catch {
      try {
        rmSync(tmp, { force: true })
      } catch {
        // No directory to hold it either.
      }
      this.#ready = false
      return
    }
    this.#wrote()
  }

  #track(p: Promise<unknown>): void {
    const q = p.catch(() => {}).finally(() => this.#pending.delete(q))
    this.#pending.add(q)
  }

  /** First write of a process: prune when the last prune is old; then every eighth of maxEntries writes. */
  #wrote(): void {
    this.#writes++
    if (this.#pruning) return
    const every = Math.max(1, Math.floor(this.#maxEntries / 8))
    if (this.#writes !== 1 && this.#writes % every !== 0) return
    const first = this.#writes === 1
    this.#pruning = (async () => {
      if (first) {
        const st = await stat(join(this.dir, STAMP)).catch(() => undefined)
        if (st && this.#now() - st.mtimeMs < this.#interval) return
      }
      await this.prune()
    })().catch(() => {}).finally(() => (this.#pruning = undefined))
    this.#track(this.#pruning)
  }

  /** Evicts the oldest entries down to 3/4 of a bound once one is exceeded; removes dead writers' temp files. */
  async prune(): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[])
    const now = this.#now()
    const entries: { f: string; size: number; t: number }[] = []
    // In batches: a full cache is ~16k files, and one stat at a time would keep a short command waiting.
    for (let i = 0; i < names.length; i += 64) {
      await Promise.all(names.slice(i, i + 64).map(async (name) => {
        const f = join(this.dir, name)
        const st = await stat(f).catch(() => undefined)
        if (!st) return
        if (name.endsWith('.tmp')) {
          if (now - st.mtimeMs > STALE_TMP_MS) await rm(f, { force: true }).catch(() => {})
        } else if (HEX.test(name)) {
          entries.push({ f, size: st.size, t: st.mtimeMs })
        }
      }))
    }
    let bytes = entries.reduce((n, e) => n + e.size, 0)
    let count = entries.length
    if (bytes > this.#maxBytes || count > this.#maxEntries) {
      entries.sort((a, b) => a.t - b.t)
      for (const e of entries) {
        if (bytes <= this.#maxBytes * LOW_WATER && count <= this.#maxEntries * LOW_WATER) break
        await rm(e.f, { force: true }).catch(() => {})
        bytes -= e.size
        count--
      }
    }
    await writeFile(join(this.dir, STAMP), '', { mode: 0o600 }).catch(() => {})
    const t = new Date(now)
    await utimes(join(this.dir, STAMP), t, t).catch(() => {})
  }

  /** Resolves once background work (mtime refreshes, a prune) is done: for tests and orderly exits. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending])
  }
}

/**
 * `repo` with its small JSON blobs read from and written to `cache`: `open` answers from the
 * cache or reads the whole blob (the store verifies it) and keeps it; `put` and `putNew` of
 * bytes keep them; `cached` tells callers what this machine has seen. For repositories that are
 * plain objects (a registry's), whose other members are copied as they are.
 */
export function withJsonBlobCache<R extends Repository>(repo: R, cache: JsonBlobCache): R {
  const inner = repo.blobs
  const keep = (body: unknown, d: Partial<Descriptor>): Promise<void> =>
    body instanceof Uint8Array && cache.accepts(d) ? cache.put(body) : Promise.resolve()
  const blobs: BlobStore = {
    stat: (d, signal) => inner.stat(d, signal),
    async open(desc, signal) {
      if (!cache.accepts(desc)) return inner.open(desc, signal)
      const hit = await cache.get(desc)
      if (hit) return Readable.from([hit], { objectMode: false })
      const bytes = await readAll(await inner.open(desc, signal), cache.maxEntryBytes)
      await cache.put(bytes)
      return Readable.from([bytes], { objectMode: false })
    },
    async put(body, expect, opts) {
      const d = await inner.put(body, expect, opts)
      await keep(body, { ...expect, ...d })
      return d
    },
    cached: (d) => cache.has(d),
  }
  if (inner.mount) blobs.mount = (d, from, signal) => inner.mount!(d, from, signal)
  if (inner.path) blobs.path = (d) => inner.path!(d)
  if (inner.putNew) {
    blobs.putNew = async (bytes, expect, opts) => {
      const d = await inner.putNew!(bytes, expect, opts)
      await keep(bytes, { ...expect, ...d })
      return d
    }
  }
  const manifests: ManifestStore = {
    ...repo.manifests,
    async getCached(d) {
      const bytes = await cache.get({ digest: d })
      return bytes ? parseKeptManifest(bytes, d) : undefined
    },
    // Only a manifest whose media type its bytes tell again: the Content-Type it came with is not kept.
    keep: (p) => (p.descriptor.mediaType && mediaTypeOf(p.value) === p.descriptor.mediaType ? cache.put(p.bytes) : Promise.resolve()),
  }
  return { ...repo, blobs, manifests }
}

/** Its `mediaType` member, or for one without (OCI allows that) the type its shape shows. */
function mediaTypeOf(v: ImageManifest | ImageIndex): string {
  return typeof v.mediaType === 'string' && v.mediaType ? v.mediaType : sniff(v)
}

function parseKeptManifest(bytes: Buffer, digest: Digest): Parsed<ImageManifest | ImageIndex> | undefined {
  try {
    const value = JSON.parse(bytes.toString('utf8')) as (ImageManifest | ImageIndex) & { schemaVersion?: unknown }
    const mediaType = value?.schemaVersion === 2 ? mediaTypeOf(value) : ''
    return mediaType ? { value, bytes, descriptor: { mediaType, digest, size: bytes.length } } : undefined
  } catch {
    return undefined // a config kept under the same kind of name, or not JSON: not a manifest
  }
}
