// The normalizing tar writer: fixed mtime, owners and modes, so the same files give the same bytes.
import { readSync } from 'node:fs'
import { Readable } from 'node:stream'
import { LadingError } from '../errors.js'
import { FileChangedError } from './errors.js'
import { encodeHeader, paddingLength, type EntryType, type HeaderFields } from './tar-header.js'

/** Default mtime of every entry: the earliest time zip-based tools (and Go's archive users) accept. */
export const DEFAULT_MTIME = new Date('1980-01-01T00:00:01Z')

/** Owner and permission bits of one entry. */
export interface EntryAttrs { mode: number; uid: number; gid: number }

/** Where a regular file's bytes come from: memory, or an open file descriptor read at explicit offsets. */
export type FileSource = Uint8Array | { fd: number; path: string }

/**
 * Where a TarWriter puts its bytes. `write` and `commit` return a promise when the writer has to
 * wait before writing more (backpressure), and throw or reject when the sink has failed.
 */
export interface TarSink {
  /** Takes `bytes`, which the writer never changes afterwards. */
  write(bytes: Uint8Array): Promise<void> | undefined
  /** A buffer of 1..`max` bytes for file content read straight into it; then `commit(n)`. */
  space(max: number): Uint8Array
  commit(n: number): Promise<void> | undefined
  /** The tar is complete (called by `finish()`). */
  end?(): void
  /** The tar will not be completed (called by `abort()`). */
  fail?(err: Error): void
}

// A read into the stream sink's own buffers: big enough that syscalls cost little.
const READ_CHUNK = 256 * 1024
const ZEROS = Buffer.alloc(1024)
// tar-stream wrote uid/gid as 6 octal digits; larger ids go into PAX records.
const MAX_USTAR_ID = 0o777777

/**
 * The only place lading builds tar headers (determinism has one choke point). Every header gets
 * every field set explicitly: the writer's fixed mtime, the given uid/gid, empty uname/gname,
 * zero device numbers, and a normalized mode. Mode normalization: keep `mode & 0o7777`
 * (permission, setuid/setgid and sticky bits), drop everything else; the entry type comes from
 * the method, never from the mode. Directory names end in `/`; names never start with `/`. Names
 * or link names that do not fit ustar (long, non-ASCII) get a PAX header; sizes of 8 GiB and more
 * use the base-256 size field (read by GNU tar, Go, BuildKit, containerd). tar-header.ts has the
 * bytes.
 *
 * The bytes go to `opts.sink`, or, without one, to `stream`. Use: call the add methods one at a
 * time, awaiting each (they respect backpressure: a file is read only as fast as the sink takes
 * it), then `finish()`. `abort(err)` fails the sink. Single use.
 */
export class TarWriter {
  readonly #mtime: number
  readonly #sink: TarSink
  readonly #stream: Readable | undefined
  #aborted: Error | undefined

  constructor(opts: { mtime?: Date; sink?: TarSink } = {}) {
    const mtime = opts.mtime ?? DEFAULT_MTIME
    const secs = mtime.getTime() / 1000
    if (!Number.isFinite(secs) || secs < 0) {
      throw new LadingError('ERR_LAYER_INVALID_MTIME', `layer mtime must be a valid date after 1970: ${String(mtime)}`)
    }
    // Whole seconds: ustar has no sub-second field, and we never emit PAX mtime.
    this.#mtime = Math.floor(secs)
    if (opts.sink) {
      this.#sink = opts.sink
    } else {
      const s = new StreamSink()
      this.#sink = s
      this.#stream = s.stream
    }
  }

  /** The tar bytes (uncompressed), ending with the two zero blocks after `finish()`; only without a sink. */
  get stream(): Readable {
    if (!this.#stream) throw new LadingError('ERR_LAYER_INVALID_ENTRY', 'this TarWriter writes to a sink, not a stream')
    return this.#stream
  }

  /** Adds a directory entry (`path/`). `path` is relative, without trailing slash. */
  async directory(path: string, attrs: EntryAttrs): Promise<void> {
    await this.#sink.write(this.#header(path, 'directory', attrs, 0, ''))
  }

  /** Adds a symlink entry; `linkname` is kept verbatim. */
  async symlink(path: string, linkname: string, attrs: EntryAttrs): Promise<void> {
    if (!linkname) throw new LadingError('ERR_LAYER_INVALID_ENTRY', `symlink ${path} has an empty target`)
    await this.#sink.write(this.#header(path, 'symlink', attrs, 0, linkname))
  }

  /** Adds a hard link entry; `linkname` is another (earlier) path of this same tar, relative. */
  async hardlink(path: string, linkname: string, attrs: EntryAttrs): Promise<void> {
    await this.#sink.write(this.#header(path, 'link', attrs, 0, stripSlashes(linkname)))
  }

  /**
   * Adds a regular file of exactly `size` bytes. From a file descriptor it reads at explicit
   * offsets, straight into the sink's buffers, waiting for the sink when it asks to; bytes
   * beyond `size` are not read. The reads are synchronous: libuv's thread pool is busy
   * deflating, and a read queued behind the deflates would starve them (a page-cache read takes
   * microseconds). Once the header is out the tar cannot be completed without the promised
   * bytes, so any failure while reading (FileChangedError when the file turns out shorter, or an
   * I/O error) also aborts the sink.
   */
  async file(path: string, attrs: EntryAttrs, size: number, source: FileSource): Promise<void> {
    if (source instanceof Uint8Array && source.byteLength !== size) {
      throw new LadingError('ERR_LAYER_INVALID_ENTRY', `${path}: content is ${source.byteLength} bytes, header says ${size}`)
    }
    const header = this.#header(path, 'file', attrs, size, '')
    await this.#sink.write(header)
    try {
      if (source instanceof Uint8Array) {
        if (size > 0) await this.#sink.write(source)
      } else {
        await copyFile(source, size, this.#sink)
      }
      const pad = paddingLength(size)
      if (pad > 0) await this.#sink.write(ZEROS.subarray(0, pad))
    } catch (err) {
      if (!(err instanceof LadingError && err.code === 'ERR_LAYER_TAR_CLOSED')) this.abort(err as Error)
      throw err
    }
  }

  /** Writes the end-of-archive blocks and ends the tar. */
  finish(): void {
    // Backpressure no longer matters (nothing follows); a failure surfaces where the sink ends.
    this.#sink.write(ZEROS)?.catch(() => {})
    this.#sink.end?.()
  }

  /** Fails the sink (or `stream`) with `err` (used when the producer fails). */
  abort(err: Error): void {
    if (this.#aborted) return
    this.#aborted = err
    this.#sink.fail?.(err)
  }

  #header(path: string, type: EntryType, attrs: EntryAttrs, size: number, linkname: string): Buffer {
    let name = stripSlashes(path)
    if (name === '') throw new LadingError('ERR_LAYER_INVALID_ENTRY', 'tar entry with an empty name')
    if (type === 'directory') name += '/'
    checkId('uid', attrs.uid)
    checkId('gid', attrs.gid)
    if (this.#aborted) throw new LadingError('ERR_LAYER_TAR_CLOSED', `tar closed before ${name} could be added`, { cause: this.#aborted })
    const h: HeaderFields = { name, type, mode: attrs.mode & 0o7777, uid: attrs.uid, gid: attrs.gid, size, mtime: this.#mtime, linkname }
    if (attrs.uid > MAX_USTAR_ID || attrs.gid > MAX_USTAR_ID) h.pax = { uid: String(attrs.uid), gid: String(attrs.gid) }
    return encodeHeader(h)
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

/** Reads `size` bytes of an open file into the sink's buffers. */
async function copyFile(source: { fd: number; path: string }, size: number, sink: TarSink): Promise<void> {
  for (let pos = 0; pos < size;) {
    const buf = sink.space(size - pos)
    const n = readSync(source.fd, buf, 0, buf.length, pos)
    if (n === 0) throw new FileChangedError(source.path, size, pos)
    pos += n
    const wait = sink.commit(n)
    if (wait) await wait
  }
}

/** The sink behind `TarWriter.stream`: each write is a chunk of the Readable, pushed when it asks for more. */
class StreamSink implements TarSink {
  readonly stream: Readable
  #wake: { resolve: () => void; reject: (err: Error) => void } | undefined
  #buf: Buffer | undefined

  constructor() {
    this.stream = new Readable({
      read: () => {
        const w = this.#wake
        this.#wake = undefined
        w?.resolve()
      },
      destroy: (err, cb) => {
        const w = this.#wake
        this.#wake = undefined
        w?.reject(closed())
        cb(err)
      },
    })
  }

  write(bytes: Uint8Array): Promise<void> | undefined {
    if (this.stream.destroyed) throw closed()
    if (this.stream.push(bytes)) return undefined
    return new Promise((resolve, reject) => { this.#wake = { resolve, reject } })
  }

  space(max: number): Uint8Array {
    // A fresh buffer per chunk: the stream keeps a reference until the consumer reads it.
    this.#buf = Buffer.allocUnsafe(Math.min(max, READ_CHUNK))
    return this.#buf
  }

  commit(n: number): Promise<void> | undefined {
    const buf = this.#buf!
    this.#buf = undefined
    return this.write(n === buf.length ? buf : buf.subarray(0, n))
  }

  end(): void {
    if (!this.stream.destroyed) this.stream.push(null)
  }

  fail(err: Error): void {
    this.stream.destroy(err)
  }
}

// The consumer went away: a consequence, not a cause; callers can recognise it by its code.
function closed(): LadingError {
  return new LadingError('ERR_LAYER_TAR_CLOSED', 'tar stream closed while writing')
}
