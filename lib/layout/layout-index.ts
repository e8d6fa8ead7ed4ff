/** The layout's `index.json`: read, and updated atomically (temp + rename) one change at a time. */
import { randomUUID } from 'node:crypto'
import { readFile, rename, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { checkDescriptor, encodeJson, MediaTypes, parseJsonObject, type Descriptor, type ImageIndex } from '../oci/index.js'
import { LayoutInvalidError } from './errors.js'

/**
 * index.json of one layout. `update` calls run one after another (a promise chain), each on a
 * fresh read of the file, so parallel tag writes from this process never lose an entry.
 * Fields of the file lading does not know are kept.
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
    const run = this.#queue.then(async () => {
      const index = await this.read()
      const next: ImageIndex = { ...index, manifests: edit([...index.manifests]) }
      await this.write(next)
      return next
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
