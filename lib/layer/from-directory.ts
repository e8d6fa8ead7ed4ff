// Makes a deterministic layer from a directory placed at an image path (owner, mtime, parents normalized).
import { closeSync, openSync, readlinkSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import { LadingError, wrapError } from '../errors.js'
import type { StoredLayer } from './stored-layer.js'
import { buildStoredLayer } from './build-layer.js'
import { imagePathComponents } from './tar-path.js'
import type { TarWriter } from './tar-writer.js'
import { walkDirectory, type WalkEntry } from './walk.js'
import { UnsupportedFileTypeError } from './errors.js'

/** Owner, time and parent-directory attributes shared by every layer builder. */
export interface TarOptions {
  /** Owner of every entry under the target (default 0:0). */
  uid?: number
  gid?: number
  /** mtime of every entry (default 1980-01-01T00:00:01Z). */
  mtime?: Date
  /** Attributes of the parent directories of the target (default 0:0, 0o755). */
  parentUid?: number
  parentGid?: number
  parentMode?: number
}

/** Options of layerFromDirectory. */
export interface LayerFromDirectoryOptions extends TarOptions {
  /** Absolute path in the image where the directory goes, e.g. `/workspace`. */
  target: string
  /** Content-addressed store: the blob lands at `<storeDir>/sha256/<hex>`. Must not be inside `dir`. */
  storeDir: string
  /** Return true to leave a path out (POSIX, relative to the directory); excluded dirs are not descended. */
  exclude?: (relPath: string) => boolean
  /** gzip level 0..9 (default 6). */
  gzipLevel?: number
  /** Stops the walk and the file being read; nothing is left in the store. */
  signal?: AbortSignal
}

/**
 * Archives `dir` as a layer placing its contents at `opts.target`, and stores the gzip blob in
 * `opts.storeDir`. The tar holds the parents of the target (`layers/`, `layers/bp/`, with the
 * parent attributes), the target itself (with `dir`'s permission bits), then the contents in a
 * sorted depth-first walk. Every entry gets `opts.mtime`, `opts.uid`/`opts.gid`, empty user and
 * group names and its permission bits (`mode & 0o7777`). Symlinks stay symlinks with their
 * target verbatim; a second path to the same inode becomes a hard link to the first path in
 * this layer; sockets are skipped; FIFOs and devices throw UnsupportedFileTypeError. Target `/`
 * puts the contents at the image root and emits no entry for the root itself.
 *
 * The files are read once; diffID, digest and size come out of that one pass. Memory does not
 * grow with file sizes. The same tree (same names, contents, modes, link structure) always
 * gives the same diffID, whatever its mtimes, owners or readdir order; the digest is also
 * stable for a given Node zlib and level. Throws FileChangedError if a file shrinks while read.
 */
export async function layerFromDirectory(dir: string, opts: LayerFromDirectoryOptions): Promise<StoredLayer> {
  const target = imagePathComponents(opts.target)
  const root = await stat(dir).catch((err: unknown) => { throw wrapError(`layer from ${dir}`, err) })
  if (!root.isDirectory()) throw new LadingError('ERR_LAYER_NOT_A_DIRECTORY', `layer source is not a directory: ${dir}`)
  const owner = { uid: opts.uid ?? 0, gid: opts.gid ?? 0 }
  const produce = async (writer: TarWriter): Promise<void> => {
    const parent = { uid: opts.parentUid ?? 0, gid: opts.parentGid ?? 0, mode: opts.parentMode ?? 0o755 }
    for (let i = 1; i < target.length; i++) await writer.directory(target.slice(0, i).join('/'), parent)
    const base = target.join('/')
    if (base !== '') await writer.directory(base, { ...owner, mode: root.mode })
    // dev:ino → tar path of the first regular file seen with that inode.
    const seen = new Map<string, string>()
    for await (const e of walkDirectory(dir, opts.exclude ? { exclude: opts.exclude } : {})) {
      const tarPath = base === '' ? e.relPath : `${base}/${e.relPath}`
      await addEntry(writer, e, tarPath, owner, seen)
    }
  }
  return buildStoredLayer(produce, opts, `layer from ${dir}`)
}

async function addEntry(writer: TarWriter, e: WalkEntry, tarPath: string, owner: { uid: number; gid: number },
  seen: Map<string, string>): Promise<void> {
  const st = e.stats
  const attrs = { ...owner, mode: Number(st.mode) }
  if (st.isDirectory()) return writer.directory(tarPath, attrs)
  // Synchronous calls here and below: see walkDirectory (the thread pool is busy deflating).
  if (st.isSymbolicLink()) return writer.symlink(tarPath, readlinkSync(e.absPath), attrs)
  if (st.isSocket()) return
  if (st.isFIFO()) throw new UnsupportedFileTypeError(e.absPath, 'FIFO')
  if (st.isCharacterDevice() || st.isBlockDevice()) throw new UnsupportedFileTypeError(e.absPath, 'device')
  if (!st.isFile()) throw new UnsupportedFileTypeError(e.absPath, 'special file')
  if (st.nlink > 1n) {
    const key = `${st.dev}:${st.ino}`
    const first = seen.get(key)
    if (first !== undefined) return writer.hardlink(tarPath, first, attrs)
    seen.set(key, tarPath)
  }
  let fd: number
  try {
    fd = openSync(e.absPath, 'r')
  } catch (err) {
    throw wrapError(`open ${e.absPath}`, err)
  }
  try {
    await writer.file(tarPath, attrs, Number(st.size), { fd, path: e.absPath })
  } finally {
    closeSync(fd)
  }
}
