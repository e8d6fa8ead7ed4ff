/** Content-addressed blobs of an OCI image layout: `blobs/<alg>/<hex>` (image-spec image-layout.md). */
import { randomUUID } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { once } from 'node:events'
import { mkdir, rename, stat, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline as pipelineCb, type Readable, type Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import {
  DigestMismatchError, Digester, SizeMismatchError, digestAlgorithm, digestHex, parseDigest, sha256, verifyStream,
  type Digest,
} from '../digest/index.js'
import { wrapError } from '../errors.js'
import type { BlobStore, Descriptor, PutBlobOptions } from '../oci/index.js'
import { LayoutEntryNotFoundError } from './errors.js'
import { definedOnly } from '../defined.js'

const OCTET = 'application/octet-stream'

/**
 * The BlobStore of the layout at `dir`. `put` hashes while it writes a temp file in the layout
 * root and renames it to its digest path (an existing blob is never rewritten; concurrent puts
 * of one digest share one write); `open` verifies digest and size at the end of the stream.
 */
export class LayoutBlobStore implements BlobStore {
  readonly #inflight = new Map<string, Promise<Descriptor>>()
  constructor(readonly dir: string) {}

  /** Path of blob `d` inside the layout; `d` is validated first, so it cannot escape `blobs/`. */
  path(d: Digest | string): string {
    const digest = parseDigest(d)
    return join(this.dir, 'blobs', digestAlgorithm(digest), digestHex(digest))
  }

  async stat(d: Digest): Promise<Descriptor | undefined> {
    const p = this.path(d)
    try {
      const s = await stat(p)
      return s.isFile() ? { mediaType: OCTET, digest: d, size: s.size } : undefined
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw wrapError(`stat blob ${d} in ${this.dir}`, err)
    }
  }

  async open(desc: Pick<Descriptor, 'digest' | 'size'> & Partial<Descriptor>, signal?: AbortSignal): Promise<Readable> {
    const found = await this.stat(desc.digest)
    if (!found) throw new LayoutEntryNotFoundError('blob', desc.digest, this.dir)
    if (desc.size !== undefined && desc.size !== found.size) throw new SizeMismatchError(desc.size, found.size, desc.digest)
    const src = createReadStream(this.path(desc.digest), signal ? { signal } : {})
    const verify: Transform = verifyStream({ digest: desc.digest, size: found.size })
    // pipeline destroys `verify` with the source's error, so readers see read failures too.
    return pipelineCb(src, verify, () => {})
  }

  async put(body: Uint8Array | (() => Readable | Promise<Readable>), expect: Partial<Descriptor> = {}, opts: PutBlobOptions = {}): Promise<Descriptor> {
    const mediaType = expect.mediaType ?? OCTET
    if (body instanceof Uint8Array) {
      // In-memory bytes are checked up front: an existing blob must not vouch for wrong bytes.
      const actual = sha256(body)
      if (expect.size !== undefined && expect.size !== body.length) throw new SizeMismatchError(expect.size, body.length, expect.digest)
      if (expect.digest && expect.digest !== actual) throw new DigestMismatchError(expect.digest, actual, body.length)
    }
    const known = expect.digest ?? (body instanceof Uint8Array ? sha256(body) : undefined)
    if (!known) return this.#write(body, expect, opts, mediaType)
    const existing = this.#inflight.get(known)
    if (existing) return { ...(await existing), mediaType }
    const p = (async () => {
      const have = await this.stat(known)
      if (have && (expect.size === undefined || have.size === expect.size)) {
        opts.onProgress?.({ digest: known, kind: 'exists', bytes: have.size, total: have.size, done: true })
        return { mediaType, digest: known, size: have.size }
      }
      return this.#write(body, { ...expect, digest: known }, opts, mediaType)
    })()
    this.#inflight.set(known, p)
    try {
      return await p
    } finally {
      this.#inflight.delete(known)
    }
  }

  async #write(body: Uint8Array | (() => Readable | Promise<Readable>), expect: Partial<Descriptor>, opts: PutBlobOptions, mediaType: string): Promise<Descriptor> {
    await mkdir(join(this.dir, 'blobs', 'sha256'), { recursive: true })
    const tmp = join(this.dir, `.lading-tmp-${randomUUID()}`)
    let moved = false
    try {
      let digest: Digest
      let size: number
      if (body instanceof Uint8Array) {
        await writeFile(tmp, body, opts.signal ? { signal: opts.signal } : {})
        digest = sha256(body)
        size = body.length
      } else {
        const digester = new Digester()
        const progress = expect.digest && opts.onProgress
          ? () => opts.onProgress!(definedOnly({ digest: expect.digest!, kind: 'upload' as const, bytes: digester.bytes, total: expect.size }))
          : undefined
        if (progress) digester.on('data', progress)
        const ws = createWriteStream(tmp)
        // the stream opens tmp lazily: after a failure, wait for it to close so the cleanup in
        // `finally` cannot run before the file exists
        await pipeline(await body(), digester, ws, opts.signal ? { signal: opts.signal } : {}).catch(async (err) => {
          if (!ws.closed) await once(ws, 'close').catch(() => {})
          throw err
        })
        ;({ digest, size } = await digester.result)
      }
      if (expect.size !== undefined && size !== expect.size) throw new SizeMismatchError(expect.size, size, expect.digest)
      if (expect.digest && digest !== expect.digest) throw new DigestMismatchError(expect.digest, digest, size)
      const target = this.path(digest)
      // Same size as ours means a finished twin (content-addressed): keep it. A different size is
      // a damaged blob: replace it with the verified bytes, atomically.
      if ((await this.stat(digest))?.size === size) {
        await unlink(tmp)
      } else {
        await rename(tmp, target)
      }
      moved = true
      opts.onProgress?.({ digest, kind: 'upload', bytes: size, total: size, done: true })
      return { mediaType, digest, size }
    } finally {
      if (!moved) await unlink(tmp).catch(() => { /* already gone: nothing to clean */ })
    }
  }
}
