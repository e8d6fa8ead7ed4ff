/** The layout's `index.json`: read, and updated atomically (temp + rename) one change at a time, across processes too. */
import { randomUUID } from 'node:crypto'
import { readFile, rename, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import lockfile from 'proper-lockfile'
import { checkDescriptor, encodeJson, MediaTypes, parseJsonObject, type Descriptor, type ImageIndex } from '../oci/index.js'
import { LayoutInvalidError } from './errors.js'

// A lock older than this is a dead process's (a live holder refreshes it every STALE_MS / 2).
const STALE_MS = 10_000
// Waiting for other writers: each holds the lock for one read + write of a small file.
const LOCK_RETRIES = { retries: 400, factor: 1.2, minTimeout: 5, maxTimeout: 200, randomize: true }

/**
 * index.json of one layout. `update` calls run one after another: within this process by a
 * promise chain, across processes by a lock directory (`index.json.lock`, proper-lockfile: mkdir
 * is atomic; a lock whose holder died is taken over once it is STALE_MS old). Each update is a
 * fresh read of the file and a temp + rename write, so parallel tag writes never lose an entry
 * and a reader never sees half a file. Fields of the file lading does not know are kept.
 */
export class LayoutIndex {
  #queue: Promise<unknown> = Promise.resolve()
  constructor(readonly dir: string) {}

  get path(): string {
    return join(this.dir, 'index.json')
  }

  /** The current index; InvalidLayoutError when it is missing or malformed. */
  async read(): Promise<ImageIndex> {
    let bytes: Uint8Array
    try {
      bytes = await readFile(this.path)
    } catch (err) {
      throw new LayoutInvalidError(this.dir, `cannot read index.json: ${(err as Error).message}`, { cause: err })
    }
    try {
      const o = parseJsonObject(bytes, 'index.json')
      if (!Array.isArray(o.manifests)) throw new Error('manifests must be an array')
      o.manifests.forEach((d, i) => checkDescriptor(d, `manifests[${i}]`))
      return o as unknown as ImageIndex
    } catch (err) {
      throw new LayoutInvalidError(this.dir, `index.json: ${(err as Error).message}`, { cause: err })
    }
  }

  /** Applies `edit` to the current entries and writes the result atomically; returns what was written. */
  update(edit: (manifests: Descriptor[]) => Descriptor[]): Promise<ImageIndex> {
    return this.#serialized(async () => {
      const index = await this.read()
      const next: ImageIndex = { ...index, manifests: edit([...index.manifests]) }
      await this.write(next)
      return next
    })
  }

  /** Writes an empty index.json unless one exists (under the lock: never over another process's tags). */
  async ensure(): Promise<void> {
    await this.#serialized(async () => {
      if (!(await readFile(this.path).then(() => true, () => false))) await this.write(emptyLayoutIndex())
    })
  }

  #serialized<T>(f: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(async () => {
      let release: (() => Promise<void>) | undefined
      try {
        release = await lockfile.lock(this.dir, { lockfilePath: `${this.path}.lock`, stale: STALE_MS, retries: LOCK_RETRIES, realpath: false })
      } catch (err) {
        throw new LayoutInvalidError(this.dir, `cannot lock index.json: ${(err as Error).message}`, { cause: err })
      }
      try {
        return await f()
      } finally {
        await release().catch(() => { /* lock already gone (compromised): nothing to release */ })
      }
    })
    this.#queue = run.catch(() => { /* the caller gets the error; the chain goes on */ })
    return run
  }

  /** Writes `index` atomically (temp file in the layout, then rename over index.json). */
  async write(index: ImageIndex): Promise<void> {
    const tmp = join(this.dir, `.lading-tmp-${randomUUID()}`)
    try {
      await writeFile(tmp, encodeJson(index))
      await rename(tmp, this.path)
    } catch (err) {
      await unlink(tmp).catch(() => { /* not created */ })
      throw err
    }
  }
}

/** A new, empty index.json value. */
export function emptyLayoutIndex(): ImageIndex {
  return { schemaVersion: 2, mediaType: MediaTypes.OCI_INDEX, manifests: [] }
}
