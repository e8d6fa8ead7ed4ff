/** One attempt at sending a blob on an upload session (oci-registry.md §1.5, §4.2): a monolithic PUT
 * of bytes, one streamed PATCH, or Content-Range chunks, then the commit PUT `?digest=`. Chunks are
 * what a later run can resume from (each acknowledged one is recorded) and where an interrupted
 * push stops: on the caller's stop signal the chunk in flight is finished, not cut, since
 * distribution cancels a session whose stored size no longer matches its offset.
 */
import { open, type FileHandle } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { DigestMismatchError, SizeMismatchError, type Digest } from '../digest/index.js'
import type { PutBlobOptions } from '../oci/index.js'
import { cancelUpload } from './blobs.js'
import { repoPath, type RepoContext } from './context.js'
import { ProtocolError, RegistryError } from './errors.js'
import { header, type WireResponse } from './http.js'
import { appendQuery, resolveLocation } from './location.js'
import { streamHeaders, type FailedPatch, type UploadStart } from './upload-resume.js'
import type { SessionTracker } from './upload-state.js'
import { fileFeed, streamFeed, type BlobFeed } from './upload-streams.js'
import { definedOnly } from '../defined.js'

/** Body of a blob upload: bytes, or a function returning a fresh stream for each attempt. */
export type BlobBody = Uint8Array | (() => Readable | Promise<Readable>)

/** What is known of the blob before sending. */
export interface Known { digest: Digest | undefined; size: number | undefined }

/** How one attempt sends and when it stops. */
export interface SendOptions extends Pick<PutBlobOptions, 'onProgress'> {
  /** A local file holding exactly the blob's bytes: read in place, from any offset, instead of `body`. */
  file?: string
  /** Aborted: stop at the next chunk boundary (requests between chunks end at once). */
  stop?: AbortSignal
  /** Aborted: give up the request in flight too (the stop's grace period is over). */
  hard?: AbortSignal
}

const OCTET = 'application/octet-stream'

/**
 * Hosts whose registries mishandle a session of several PATCHes (oci-registry.md §5): ECR answers
 * 201 to the first one and stops advancing, GHCR refuses Content-Range chunks over 4 MiB, Quay's
 * chunked uploads have been fragile. They get one streamed PATCH, so a push there is not resumable.
 */
const MULTI_PATCH_BROKEN = [/\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/, /^public\.ecr\.aws$/, /^ghcr\.io$/, /^quay\.io$/]

/** True when `registry` is known to break uploads made of several PATCHes. */
export function multiPatchBroken(registry: string): boolean {
  const host = registry.toLowerCase().replace(/:\d+$/, '')
  return MULTI_PATCH_BROKEN.some((re) => re.test(host))
}

/** Bytes per PATCH for this attempt, 0 for one streamed PATCH; `resumable` when chunked only so a later run can resume. */
export function chunking(ctx: RepoContext, known: Known, track: SessionTracker | undefined): { size: number; resumable: boolean } {
  const registry = ctx.session.registry
  if (ctx.uploadMode === 'chunked' || ctx.chunkedRegistries.has(registry)) return { size: ctx.chunkSize, resumable: false }
  const c = ctx.resumableChunkSize
  const resumable = ctx.uploadMode === 'auto' && track !== undefined && c > 0 && known.size !== undefined && known.size >= 2 * c &&
    !ctx.streamOnly.has(registry) && !multiPatchBroken(registry)
  return { size: resumable ? c : 0, resumable }
}

/**
 * One attempt on the session `start` names. Only the bytes past `start.offset` are sent; a stream
 * is read (and hashed) from its first byte, a file from the offset. `failed.patch` says which
 * session a failing request was on, so the caller can ask the registry what it kept.
 */
export async function uploadOnce(ctx: RepoContext, start: UploadStart, body: BlobBody, known: Known, scopes: readonly string[],
  opts: SendOptions, failed: { patch?: FailedPatch }, track?: SessionTracker): Promise<{ digest: Digest; size: number }> {
  const chunks = chunking(ctx, known, track)
  if (chunks.size === 0 && body instanceof Uint8Array && ctx.uploadMode === 'auto' && start.offset === 0) {
    const digest = known.digest!
    failed.patch = { location: start.location, offset: 0, resumed: false, step: 'PUT', sent: () => body.length, size: body.length }
    await commit(ctx, start.location, digest, scopes, opts.hard, body)
    failed.patch = undefined
    opts.onProgress?.({ digest, kind: 'upload', bytes: body.length, total: body.length })
    return { digest, size: body.length }
  }
  const feed = await openFeed(body, known, start.offset, opts)
  let loc = start.location
  try {
    try {
      loc = chunks.size > 0 ? await patchChunks(ctx, start, feed, known.size, chunks, scopes, opts, failed, track)
        : await patchStream(ctx, start, feed, known.size, scopes, opts.stop, failed)
    } catch (err) {
      if ((err as { code?: string }).code === 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH' && known.size !== undefined) {
        throw new SizeMismatchError(known.size, feed.position, known.digest)
      }
      throw err
    }
    failed.patch = undefined
    const got = await feed.finish()
    const digest = got.digest ?? known.digest!
    try {
      if (known.size !== undefined && got.size !== known.size) throw new SizeMismatchError(known.size, got.size, known.digest)
      if (known.digest && digest !== known.digest) throw new DigestMismatchError(known.digest, digest, got.size)
    } catch (err) {
      await cancelUpload(ctx, loc)
      throw err
    }
    // Every byte is in the session now: a failed commit (here or in a later run) resumes with the PUT alone.
    track?.save(loc, got.size)
    failed.patch = { location: loc, offset: got.size, resumed: true, step: 'PUT', sent: () => got.size, size: got.size }
    await commit(ctx, loc, digest, scopes, opts.hard)
    failed.patch = undefined
    return { digest, size: got.size }
  } finally {
    await feed.close()
  }
}

/** The file when it holds the blob (its size is the expected one), else the body's stream. */
async function openFeed(body: BlobBody, known: Known, offset: number, opts: SendOptions): Promise<BlobFeed> {
  const onBytes = (bytes: number): void => {
    opts.onProgress?.(definedOnly({ digest: known.digest ?? ('' as Digest), kind: 'upload' as const, bytes, total: known.size }))
  }
  // Mid-file without a known digest, the digest needs the bytes before the offset: the stream reads them.
  if (opts.file && !(body instanceof Uint8Array) && (offset === 0 || known.digest)) {
    let fh: FileHandle | undefined
    try {
      fh = await open(opts.file, 'r')
      const size = (await fh.stat()).size
      // A missing or odd file is not an error here: the body's own stream then says what is wrong.
      if (known.size === undefined || size === known.size) return fileFeed(fh, size, offset, onBytes)
    } catch {
      // fall through to the stream
    }
    await fh?.close().catch(() => {})
  }
  const source = body instanceof Uint8Array ? Readable.from([Buffer.from(body)]) : await body()
  return streamFeed(source, offset, onBytes)
}

/** One PATCH carrying the rest of the blob (none when the registry has it all); returns the next Location. */
async function patchStream(ctx: RepoContext, at: UploadStart, feed: BlobFeed, size: number | undefined, scopes: readonly string[],
  signal: AbortSignal | undefined, failed: { patch?: FailedPatch }): Promise<string> {
  const headers = streamHeaders(at, size)
  if (!headers) return at.location
  failed.patch = { location: at.location, offset: at.offset, resumed: at.resumed, step: `PATCH ${at.offset}`, sent: () => feed.position, size }
  const res = await ctx.session.request({ method: 'PATCH', url: at.location, headers, body: feed.body(), scopes, ok: [202, 204], what: 'upload', retry: false, signal })
  await res.body.dump().catch(() => {})
  return nextLocation(res, 'PATCH')
}

/** Largest resumable chunk, whatever the rate. */
const MAX_CHUNK = 1 << 30

/** The next resumable chunk: `seconds` of transfer at the rate the last one went, between `min` and MAX_CHUNK, in whole MiB. */
export function nextChunkSize(bytes: number, ms: number, seconds: number, min: number): number {
  if (seconds <= 0 || ms <= 0) return min
  const want = Math.round((bytes / ms) * 1000 * seconds / (1 << 20)) * (1 << 20)
  return Math.min(MAX_CHUNK, Math.max(min, want))
}

/**
 * Content-Range PATCHes from `at.offset`, each recorded once acknowledged; returns the Location
 * after the last one. Stops (with the stop signal's reason) between chunks. Forced chunks are all
 * `chunks.size`; resumable ones grow to about ctx.resumableChunkSeconds of transfer each.
 */
async function patchChunks(ctx: RepoContext, at: UploadStart, feed: BlobFeed, size: number | undefined, chunks: { size: number; resumable: boolean },
  scopes: readonly string[], opts: SendOptions, failed: { patch?: FailedPatch }, track?: SessionTracker): Promise<string> {
  let loc = at.location
  let offset = at.offset
  let chunk = chunks.size
  for (;;) {
    const n = size === undefined ? undefined : Math.min(chunk, size - offset)
    if (n === 0) break
    if (opts.stop?.aborted) {
      ctx.log(`upload: stopping at byte ${offset} of ${size ?? 'unknown'} (interrupted); the session is kept for the next run`)
      throw opts.stop.reason
    }
    // Of unknown length, a chunk has to be in memory before its Content-Length is known.
    const bytes = n === undefined ? await feed.take(chunk) : undefined
    const len = n ?? bytes!.length
    if (len === 0) break
    const end = offset + len - 1
    failed.patch = { location: loc, offset, resumed: true, step: `PATCH ${offset}`, sent: () => end + 1, size, resumableChunks: chunks.resumable }
    const t0 = performance.now()
    const res = await ctx.session.request({
      method: 'PATCH', url: loc, body: bytes ?? feed.body(len), scopes, ok: [201, 202, 204], what: 'upload', retry: false,
      headers: { 'content-type': OCTET, 'content-range': `${offset}-${end}`, 'content-length': String(len) },
      signal: opts.hard,
    })
    await res.body.dump().catch(() => {})
    // The server's Range is ambiguous for 0/1 bytes (distribution says 0-0 for both): trust our own offset
    // and only use Range to detect a short write.
    const range = /^(?:bytes=)?0-(\d+)$/.exec(header(res.headers, 'range') ?? '')
    if (res.status === 201 || (range && Number(range[1]) < end && end > 0)) {
      const what = res.status === 201 ? 'answered 201 to a chunk before the commit' : `stored only ${Number(range![1]) + 1} of ${end + 1} bytes of a chunked upload`
      throw new RegistryError('ERR_REGISTRY_UPLOAD_SHORT', `registry ${what}; restarting`, { status: res.status, method: 'PATCH', url: res.url, retryable: true })
    }
    loc = nextLocation(res, 'PATCH')
    offset = end + 1
    track?.save(loc, offset)
    if (chunks.resumable) {
      chunk = nextChunkSize(len, performance.now() - t0, ctx.resumableChunkSeconds, chunks.size)
      // A short last chunk would cost a whole boundary for little: the one before takes it along.
      if (size !== undefined && ctx.resumableChunkSeconds > 0 && size - offset - chunk < chunk / 2) chunk = size - offset
    }
  }
  return loc
}

/** POST an empty upload request; returns the session Location resolved against the response URL. */
export async function startUpload(ctx: RepoContext, scopes: readonly string[], signal?: AbortSignal): Promise<string> {
  const res = await ctx.session.request({
    method: 'POST', url: `${repoPath(ctx)}/blobs/uploads/`, headers: { 'content-length': '0' }, scopes, ok: [202],
    what: 'repository', subject: ctx.repository, signal,
  })
  await res.body.dump().catch(() => {})
  return nextLocation(res, 'POST')
}

function nextLocation(res: WireResponse, step: string): string {
  const loc = header(res.headers, 'location')
  if (!loc) throw new ProtocolError(`registry answered ${step} of a blob upload without a Location header`, { status: res.status, method: step, url: res.url })
  return resolveLocation(res.url, loc)
}

/** PUT `?digest=` closing the session, with the whole body (monolithic) or empty. */
async function commit(ctx: RepoContext, loc: string, digest: Digest, scopes: readonly string[], signal?: AbortSignal, body?: Uint8Array): Promise<void> {
  const res = await ctx.session.request({
    method: 'PUT', url: appendQuery(loc, 'digest', digest), scopes, ok: [201, 204], what: 'upload', retry: false,
    headers: { 'content-type': OCTET, 'content-length': String(body?.length ?? 0) }, body: body ?? new Uint8Array(0),
    signal,
  })
  await res.body.dump().catch(() => {})
}
