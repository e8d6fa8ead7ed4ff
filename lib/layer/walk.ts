// Walks a directory in sorted order, the same order every time, for deterministic layers.
import { lstatSync, readdirSync, type BigIntStats } from 'node:fs'
import { join } from 'node:path'
import { LadingError, wrapError } from '../errors.js'

/** One file system object found by walkDirectory. */
export interface WalkEntry {
  /** POSIX path relative to the walk root, never empty (`a`, `a/b.txt`). */
  relPath: string
  /** Path on this machine. */
  absPath: string
  /** lstat of the entry (symlinks are not followed), with exact 64-bit dev/ino. */
  stats: BigIntStats
}

/** Options of walkDirectory. */
export interface WalkOptions {
  /** Return true to leave a path out; an excluded directory is not descended. */
  exclude?: (relPath: string) => boolean
}

/**
 * Yields everything under `root` (not `root` itself) depth first: each directory right before
 * its children, and the names inside each directory sorted by their bytes (readdir order is
 * whatever the file system keeps, so it is never used as is). Symlinks are reported, never
 * followed. Lazy: one directory listing is held per level of depth, never the whole tree.
 * Throws ERR_LAYER_NAME_ENCODING for a file name that is not valid UTF-8 (it could not be
 * written into the tar faithfully) and wraps file system errors with the failing path.
 * The directory reads and lstats are synchronous: while a layer is made libuv's thread pool is
 * busy deflating, and each call queued behind the deflates would wait milliseconds for a
 * microsecond's work.
 */
export async function* walkDirectory(root: string, opts: WalkOptions = {}): AsyncGenerator<WalkEntry> {
  yield* walkInto(root, '', opts)
}

async function* walkInto(absDir: string, relDir: string, opts: WalkOptions): AsyncGenerator<WalkEntry> {
  let raw: Buffer[]
  try {
    raw = readdirSync(absDir, { encoding: 'buffer' })
  } catch (err) {
    throw wrapError(`read directory ${absDir}`, err)
  }
  raw.sort(Buffer.compare)
  for (const nameBuf of raw) {
    const name = nameBuf.toString('utf8')
    const relPath = relDir === '' ? name : `${relDir}/${name}`
    if (!Buffer.from(name, 'utf8').equals(nameBuf)) {
      throw new LadingError('ERR_LAYER_NAME_ENCODING', `file name is not valid UTF-8: ${JSON.stringify(relPath)} in ${absDir}`)
    }
    if (opts.exclude?.(relPath)) continue
    const absPath = join(absDir, name)
    let stats: BigIntStats
    try {
      stats = lstatSync(absPath, { bigint: true })
    } catch (err) {
      throw wrapError(`stat ${absPath}`, err)
    }
    yield { relPath, absPath, stats }
    if (stats.isDirectory()) yield* walkInto(absPath, relPath, opts)
  }
}
