// The normalizing tar writer: fixed mtime, owners and modes, so the same files give the same bytes.
import { Readable } from 'node:stream'
import type { FileHandle } from 'node:fs/promises'
import tarStream from 'tar-stream'
import { LadingError } from '../errors.js'
import { FileChangedError } from './errors.js'

/** Default mtime of every entry: the earliest time zip-based tools (and Go's archive users) accept. */
export const DEFAULT_MTIME = new Date('1980-01-01T00:00:01Z')

/** Owner and permission bits of one entry. */
export interface EntryAttrs { mode: number; uid: number; gid: number }

/** Where a regular file's bytes come from: memory, or an open file read in chunks. */
export type FileSource = Uint8Array | { handle: FileHandle; path: string }

const CHUNK = 256 * 1024
// tar-stream replaces a falsy mode with its own default, so we always pass the file-type bits too:
// the value is never 0 and the encoder keeps only `mode & 0o7777`.
const S_IFREG = 0o100000
const S_IFDIR = 0o040000
const S_IFLNK = 0o120000
// tar-stream writes uid/gid as 6 octal digits (it would clamp larger ids): those go into PAX records.
const MAX_USTAR_ID = 0o777777

type Kind = 'file' | 'directory' | 'symlink' | 'link'
type Sink = ReturnType<tarStream.Pack['entry']>

/**
 * The only place lading builds tar headers (determinism has one choke point). Every header gets
 * every field set explicitly: the writer's fixed mtime, the given uid/gid, empty uname/gname,
 * zero device numbers, and a normalized mode. Mode normalization: keep `mode & 0o7777`
 * (permission, setuid/setgid and sticky bits), drop everything else; the entry type comes from
 * `kind`, never from the mode. Directory names end in `/`; names never start with `/`. Names or
 * link names that do not fit ustar (long, non-ASCII) get a PAX header from tar-stream; sizes of
 * 8 GiB and more use the base-256 size field (read by GNU tar, Go, BuildKit, containerd).
 *
 * Use: call the add methods one at a time, awaiting each (they respect backpressure: a file is
 * read only as fast as `stream` is consumed), then `finish()`. `abort(err)` fails the stream.
 * Single use.
 */
export class TarWriter {
  readonly #pack = tarStream.pack()
  readonly #mtime: Date
  #aborted: Error | undefined
  /** The tar bytes (uncompressed), ending with the two zero blocks after `finish()`. */
  readonly stream: Readable

  constructor(opts: { mtime?: Date } = {}) {
    const mtime = opts.mtime ?? DEFAULT_MTIME
    const secs = mtime.getTime() / 1000
    if (!Number.isFinite(secs) || secs < 0) {
      throw new LadingError('ERR_LAYER_INVALID_MTIME', `layer mtime must be a valid date after 1970: ${String(mtime)}`)
    }
    // Whole seconds: ustar has no sub-second field, and we never emit PAX mtime.
    this.#mtime = new Date(Math.floor(secs) * 1000)
    this.stream = Readable.from(this.#pack, { objectMode: false })
  }

  /** Adds a directory entry (`path/`). `path` is relative, without trailing slash. */
  async directory(path: string, attrs: EntryAttrs): Promise<void> {
    await this.#entry(path, 'directory', attrs, 0).done
  }

  /** Adds a symlink entry; `linkname` is kept verbatim. */
  async symlink(path: string, linkname: string, attrs: EntryAttrs): Promise<void> {
    if (!linkname) throw new LadingError('ERR_LAYER_INVALID_ENTRY', `symlink ${path} has an empty target`)
    await this.#entry(path, 'symlink', attrs, 0, linkname).done
  }

  /** Adds a hard link entry; `linkname` is another (earlier) path of this same tar, relative. */
  async hardlink(path: string, linkname: string, attrs: EntryAttrs): Promise<void> {
    await this.#entry(path, 'link', attrs, 0, stripSlashes(linkname)).done
  }

  /**
   * Adds a regular file of exactly `size` bytes. From a file handle it reads in chunks at
   * explicit offsets, waiting for the consumer between chunks; bytes beyond `size` are not
   * read. Once the header is out the tar cannot be completed without the promised bytes, so
   * any failure while reading (FileChangedError when the file turns out shorter, or an I/O
   * error) also aborts the stream.
   */
  async file(path: string, attrs: EntryAttrs, size: number, source: FileSource): Promise<void> {
    if (source instanceof Uint8Array && source.byteLength !== size) {
      throw new LadingError('ERR_LAYER_INVALID_ENTRY', `${path}: content is ${source.byteLength} bytes, header says ${size}`)
    }
    const { sink, done } = this.#entry(path, 'file', attrs, size)
    // `done` is awaited only at the end; until then a rejection must not count as unhandled.
    done.catch(() => {})
    try {
      if (source instanceof Uint8Array) {
        if (size > 0) await writeChunk(sink, Buffer.from(source.buffer, source.byteOffset, source.byteLength))
      } else {
        await copyFile(source, size, sink)
      }
    } catch (err) {
      if (!(err instanceof LadingError && err.code === 'ERR_LAYER_TAR_CLOSED')) this.abort(err as Error)
      throw err
    }
    sink.end(undefined) // streamx types want an argument; undefined means "no more data"
    await done
  }

  /** Writes the end-of-archive blocks and ends `stream`. */
  finish(): void {
    this.#pack.finalize()
  }

  /** Fails `stream` with `err` (used when the producer fails). */
  abort(err: Error): void {
    this.#aborted = err
    this.#pack.destroy(err)
  }

  // An entry failing because the consumer went away is a consequence, not a cause: give it a
  // code callers can recognise (build-layer then reports the consumer's error instead).
  #explain(err: Error, name: string): Error {
    if (err === this.#aborted || err instanceof LadingError) return err
    if (this.#pack.destroying || this.#pack.destroyed) {
      return new LadingError('ERR_LAYER_TAR_CLOSED', `tar stream closed while adding ${name}`, { cause: err })
    }
    return err
  }

  #entry(path: string, kind: Kind, attrs: EntryAttrs, size: number, linkname?: string): { sink: Sink; done: Promise<void> } {
    let name = stripSlashes(path)
    if (name === '') throw new LadingError('ERR_LAYER_INVALID_ENTRY', 'tar entry with an empty name')
    if (kind === 'directory') name += '/'
    const typeBits = kind === 'directory' ? S_IFDIR : kind === 'symlink' ? S_IFLNK : S_IFREG
    const header: tarStream.Header = {
      name,
      type: kind,
      mode: typeBits | (attrs.mode & 0o7777),
      uid: attrs.uid,
      gid: attrs.gid,
      size,
      mtime: this.#mtime,
      linkname: linkname ?? '',
      uname: '',
      gname: '',
      devmajor: 0,
      devminor: 0,
    }
    checkId('uid', attrs.uid)
    checkId('gid', attrs.gid)
    if (attrs.uid > MAX_USTAR_ID || attrs.gid > MAX_USTAR_ID) {
      header.pax = { uid: String(attrs.uid), gid: String(attrs.gid) }
    }
    // The consumer may have failed and destroyed the pack: say so instead of tar-stream's throw.
    if (this.#pack.destroying || this.#pack.destroyed) {
      throw new LadingError('ERR_LAYER_TAR_CLOSED', `tar stream closed before ${name} could be added`)
    }
    let resolveDone!: () => void
    let rejectDone!: (err: Error) => void
    const done = new Promise<void>((resolve, reject) => {
      resolveDone = resolve
      rejectDone = reject
    })
    const sink = this.#pack.entry(header, (err) => (err ? rejectDone(this.#explain(err, name)) : resolveDone()))
    // streamx emits 'error' even without listeners; the failure reaches callers through `done`.
    sink.on('error', () => {})
    return { sink, done }
  }
}

function stripSlashes(p: string): string {
  return p.replace(/^\/+/, '').replace(/\/+$/, '')
}

function checkId(what: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0 || v > 0xffffffff) {
    throw new LadingError('ERR_LAYER_INVALID_ENTRY', `${what} must be an integer in 0..2^32-1, got ${v}`)
  }
}

/** Streams `size` bytes of an open file into `sink`, one fresh buffer per chunk. */
async function copyFile(source: { handle: FileHandle; path: string }, size: number, sink: Sink): Promise<void> {
  let pos = 0
  while (pos < size) {
    const n = Math.min(CHUNK, size - pos)
    // A fresh buffer per chunk: the pack keeps a reference until the consumer reads it.
    const buf = Buffer.allocUnsafe(n)
    const { bytesRead } = await source.handle.read(buf, 0, n, pos)
    if (bytesRead === 0) throw new FileChangedError(source.path, size, pos)
    pos += bytesRead
    await writeChunk(sink, bytesRead === n ? buf : buf.subarray(0, bytesRead))
  }
}

/** Writes one chunk, resolving once the sink can take more (or failing if it closes first). */
function writeChunk(sink: Sink, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (sink.destroyed) {
      reject(new LadingError('ERR_LAYER_TAR_CLOSED', 'tar stream closed while writing'))
      return
    }
    if (sink.write(chunk)) {
      resolve()
      return
    }
    const cleanup = (): void => {
      sink.off('drain', onDrain)
      sink.off('close', onClose)
    }
    const onDrain = (): void => { cleanup(); resolve() }
    const onClose = (): void => { cleanup(); reject(new LadingError('ERR_LAYER_TAR_CLOSED', 'tar stream closed while writing')) }
    sink.on('drain', onDrain)
    sink.on('close', onClose)
  })
}
