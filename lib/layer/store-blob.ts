// Stores a compressed layer blob in the content-addressed store by temp file + rename, hashing as it writes.
import { createWriteStream } from 'node:fs'
import { mkdir, rename, rm } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { Digester, digestHex, type Digest } from '../digest/index.js'
import { wrapError } from '../errors.js'
import { pathExists } from '../fs-checks.js'
import { createDeterministicGzip } from './gzip.js'

/** What storeLayerBlob wrote. */
export interface StoredBlob {
  /** `<storeDir>/sha256/<hex of digest>`. */
  path: string
  /** sha256 of the uncompressed tar. */
  diffId: Digest
  /** sha256 of the gzip bytes stored at `path`. */
  digest: Digest
  /** Byte length of the gzip bytes. */
  size: number
}

/** Where a blob with `digest` lives in a content-addressed store directory. */
export function blobPath(storeDir: string, digest: Digest): string {
  return join(storeDir, 'sha256', digestHex(digest))
}

/**
 * Consumes an uncompressed `tar` stream once and stores its gzip in `storeDir`, returning the
 * diffID, digest and size measured on the way: tar → digester (diffID) → gzip → digester
 * (digest, size) → temp file in `<storeDir>/sha256/`, renamed to its digest. When a blob with
 * that digest is already there the temp file is dropped (same digest, same bytes). On failure
 * no file is left behind; errors are wrapped with context, keeping their code.
 */
export async function storeLayerBlob(tar: Readable, storeDir: string, gzipLevel?: number): Promise<StoredBlob> {
  const dir = join(storeDir, 'sha256')
  const tmp = join(dir, `.tmp-${process.pid}-${randomBytes(8).toString('hex')}`)
  const diff = new Digester()
  const comp = new Digester()
  try {
    const gzip = createDeterministicGzip(gzipLevel)
    await mkdir(dir, { recursive: true })
    await pipeline(tar, diff, gzip, comp, createWriteStream(tmp, { flags: 'wx', mode: 0o644 }))
    const [{ digest: diffId }, { digest, size }] = await Promise.all([diff.result, comp.result])
    const path = blobPath(storeDir, digest)
    if (await pathExists(path)) await rm(tmp, { force: true })
    else await rename(tmp, path)
    return { path, diffId, digest, size }
  } catch (err) {
    tar.destroy()
    // Cleanup is best effort here: the original failure is the error worth reporting, and a
    // temp file that cannot be removed (e.g. its directory never existed) cannot be removed.
    await rm(tmp, { force: true }).catch(() => undefined)
    throw wrapError(`store layer in ${storeDir}`, err)
  }
}
