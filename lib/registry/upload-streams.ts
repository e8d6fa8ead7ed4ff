/** Where the bytes of one upload attempt come from (a "feed"), handed out as request bodies: one
 * for a streamed PATCH, or one per Content-Range chunk, each streamed (no chunk is ever gathered in
 * memory). A feed hashes what it reads and reports progress as bytes go out. A file is read in
 * place with a few reused buffers and from any offset; any other source is a stream whose bytes
 * before the offset are read and hashed but not sent.
 */
import { createHash, type Hash } from 'node:crypto'
import type { FileHandle } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { SizeMismatchError, type Digest } from '../digest/index.js'

/** The bytes of one upload attempt, from its offset on. */
export interface BlobFeed {
  /** Bytes of the blob handed to request bodies so far, the attempt's offset included. */
  readonly position: number
  /** The next `n` bytes (everything left when undefined) as a request body; call again only once the previous body has ended. */
  body(n?: number): Readable
  /** The next `n` bytes (fewer at the end) in memory: chunks of a stream whose size is unknown. */
  take(n: number): Promise<Buffer>
  /**
   * Reads whatever is left (a stream may hold more than was declared) and gives the whole blob's
   * digest and size; the digest is undefined when the attempt started mid-file (those bytes were not read).
   */
  finish(): Promise<{ digest: Digest | undefined; size: number }>
  /** Releases the file or the stream; idempotent. */
  close(): Promise<void>
}

/** Called with the feed's position each time bytes go out. */
export type OnBytes = (position: number) => void

// 256 KiB per read: every socket write is then over the socket's 16 KiB high-water mark (see FileSlice).
const READ_BYTES = 256 << 10
const RING = 3

/**
 * A feed over `size` bytes of an open file, from `start`. Hashes from byte 0 only when `start` is 0:
 * a resumed upload of a known digest leaves the check of the whole to the registry's commit.
 */
export function fileFeed(fh: FileHandle, size: number, start: number, onBytes: OnBytes = () => {}): BlobFeed {
  const hash = start === 0 ? createHash('sha256') : undefined
  const ring = Array.from({ length: RING }, () => Buffer.allocUnsafeSlow(Math.max(1, Math.min(READ_BYTES, size - start))))
  const state = { pos: start, turn: 0 }
  let closed = false
  return {
    get position() {
      return state.pos
    },
    body: (n) => new FileSlice(fh, Math.min(size, state.pos + (n ?? size)), ring, state, hash, onBytes),
    async take(n) {
      const out = Buffer.allocUnsafe(Math.min(n, size - state.pos))
      for (let at = 0; at < out.length;) {
        const { bytesRead } = await fh.read(out, at, out.length - at, state.pos + at)
        if (bytesRead === 0) throw new SizeMismatchError(size, state.pos + at)
        at += bytesRead
      }
      hash?.update(out)
      state.pos += out.length
      onBytes(state.pos)
      return out
    },
    async finish() {
      if (state.pos !== size) throw new SizeMismatchError(size, state.pos)
      return { digest: hash ? (`sha256:${hash.digest('hex')}` as Digest) : undefined, size }
    },
    async close() {
      if (closed) return
      closed = true
      await fh.close().catch(() => {})
    },
  }
}

/**
 * A request body read from a file up to `end` into a small ring of reused buffers. A buffer is
 * filled again only RING reads later, and each read happens only when undici asks for more data:
 * it stops reading a body whose socket write returned false (always so for writes over the
 * socket's 16 KiB high-water mark) and asks again after 'drain', once the socket has handed the
 * bytes to the kernel. With highWaterMark 0 nothing is read ahead while it waits. So no buffer is
 * rewritten while still queued, and no garbage piles up for the collector (a read stream's fresh
 * 64 KiB buffers each 256 MiB push left ~32 MiB of them to it). Should that ever break, the
 * registry's digest check refuses the commit: wrong bytes are never stored.
 */
class FileSlice extends Readable {
  constructor(private readonly fh: FileHandle, private readonly end: number, private readonly ring: Buffer[],
    private readonly state: { pos: number; turn: number }, private readonly hash: Hash | undefined, private readonly onBytes: OnBytes) {
    super({ highWaterMark: 0 })
  }

  override _read(): void {
    const { state } = this
    const left = this.end - state.pos
    if (left <= 0) {
      this.push(null)
      return
    }
    const buf = this.ring[state.turn++ % this.ring.length]!
    this.fh.read(buf, 0, Math.min(buf.length, left), state.pos).then(({ bytesRead }) => {
      if (bytesRead === 0) throw new SizeMismatchError(this.end, state.pos)
      const chunk = bytesRead === buf.length ? buf : buf.subarray(0, bytesRead)
      this.hash?.update(chunk)
      state.pos += bytesRead
      this.onBytes(state.pos)
      this.push(chunk)
    }).catch((err: Error) => this.destroy(err))
  }
}

/**
 * A feed over a stream, sending from `start`: the bytes before it are read and hashed (the digest
 * always covers the whole blob) but not sent.
 */
export function streamFeed(source: Readable, start: number, onBytes: OnBytes = () => {}): BlobFeed {
  const it = source[Symbol.asyncIterator]() as AsyncIterator<unknown>
  const hash = createHash('sha256')
  let read = 0
  let skip = start
  let pos = start
  let left: Buffer | undefined
  let closed = false
  /** The next bytes past the offset, or undefined at the end of the source. */
  const pull = async (): Promise<Buffer | undefined> => {
    if (left) {
      const b = left
      left = undefined
      return b
    }
    for (;;) {
      const r = await it.next()
      if (r.done) return undefined
      let b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value as Uint8Array | string)
      hash.update(b)
      read += b.length
      if (skip > 0) {
        const drop = Math.min(skip, b.length)
        skip -= drop
        b = b.subarray(drop)
      }
      if (b.length > 0) return b
    }
  }
  /** At most `want` of the next bytes; undefined at the end. */
  const next = async (want: number): Promise<Buffer | undefined> => {
    let b = await pull()
    if (!b) return undefined
    if (b.length > want) {
      left = b.subarray(want)
      b = b.subarray(0, want)
    }
    pos += b.length
    onBytes(pos)
    return b
  }
  return {
    get position() {
      return pos
    },
    body(n) {
      let want = n ?? Infinity
      return new Readable({
        read() {
          if (want <= 0) {
            this.push(null)
            return
          }
          next(want).then((b) => {
            if (b) want -= b.length
            this.push(b ?? null)
          }, (err: Error) => this.destroy(err))
        },
      })
    },
    async take(n) {
      const parts: Buffer[] = []
      let got = 0
      while (got < n) {
        const b = await next(n - got)
        if (!b) break
        parts.push(b)
        got += b.length
      }
      return parts.length === 1 ? parts[0]! : Buffer.concat(parts)
    },
    async finish() {
      // The registry may answer once it has Content-Length bytes, before the source has seen its end;
      // reading on to that end settles the digest, and counts any bytes past the declared size.
      while (await pull());
      return { digest: `sha256:${hash.digest('hex')}` as Digest, size: read }
    },
    async close() {
      if (closed) return
      closed = true
      source.on('error', () => {})
      if (!source.destroyed) source.destroy()
      await it.return?.().catch(() => {})
    },
  }
}
