/** Blob push (oci-registry.md §1.5, §1.6, §4.2): HEAD (exists → skip) → mount from same-registry
 * sources → upload. Uploads are POST then one of: monolithic PUT (bytes), one streamed PATCH plus
 * an empty PUT `?digest=` (streams, the default), or Content-Range chunks (opt-in, or after a 413).
 * A failed PATCH continues the same session where the registry left it (upload-resume.ts); any
 * other failed step, or a session that cannot be resumed, restarts from HEAD/POST with a fresh body.
 */
import { Readable } from 'node:stream'
import { Digester, DigestMismatchError, SizeMismatchError, sha256, verifyBytes, type Digest } from '../digest/index.js'
import type { Descriptor, PutBlobOptions } from '../oci/index.js'
import { pushScope, pullScope } from './challenge.js'
import { cancelUpload, mountFromAny, mountSourcesFor, statBlob } from './blobs.js'
import { repoPath, type RepoContext } from './context.js'
import { RegistryError, ProtocolError, UnreachableError } from './errors.js'
import { header, type WireResponse } from './http.js'
import { appendQuery, resolveLocation } from './location.js'
import { backoffDelay, sleep } from './retry.js'
import { Remainder, resumeSession, streamHeaders, type FailedPatch, type UploadStart } from './upload-resume.js'
import { sessionTracker, type SessionTracker } from './upload-state.js'
import { chunksOf, progressCounter } from './upload-streams.js'
import { definedOnly } from '../defined.js'

/** Body of a blob upload: bytes, or a function returning a fresh stream for each attempt. */
export type BlobBody = Uint8Array | (() => Readable | Promise<Readable>)

/** Options of a registry blob put: the BlobStore ones plus same-registry mount sources. */
export interface RegistryPutOptions extends PutBlobOptions {
  /** Repositories to try mounting from: `path` or `registry/path` (other registries are skipped). */
  mountFrom?: readonly string[]
}

const OCTET = 'application/octet-stream'

/**
 * Pushes a blob and returns its descriptor (mediaType from `expect`, else octet-stream). Bytes are
 * checked against `expect.digest`/`size` before sending; a stream is hashed while sent and the
 * commit is skipped (session cancelled) when it does not match.
 */
export async function putBlob(ctx: RepoContext, body: BlobBody, expect: Partial<Descriptor> = {}, opts: RegistryPutOptions = {}): Promise<Descriptor> {
  const mediaType = expect.mediaType ?? OCTET
  let digest = expect.digest
  let size = expect.size
  if (body instanceof Uint8Array) {
    if (digest) verifyBytes(body, definedOnly({ digest, size }))
    digest = sha256(body)
    size = body.length
  }
  const sources = mountSourcesFor(ctx, opts.mountFrom ?? [])
  const scopes = [pushScope(ctx.repository), ...sources.map(pullScope)]
  const signal = opts.signal
  const done = (d: Digest, n: number, kind: 'upload' | 'mount' | 'exists'): Descriptor => {
    opts.onProgress?.({ digest: d, kind, bytes: n, total: n, done: true })
    return { mediaType, digest: d, size: n }
  }

  let pending: string | undefined
  if (digest) {
    const have = await statBlob(ctx, digest, signal, scopes)
    if (have) {
      ctx.stats.blobsExisting++
      ctx.stats.bytesExisting += size ?? have.size
      return done(digest, size ?? have.size, 'exists')
    }
    const m = await mountFromAny(ctx, digest, sources, signal)
    if (m.mounted) {
      ctx.stats.blobsMounted++
      ctx.stats.bytesMounted += size ?? 0
      return done(digest, size ?? 0, 'mount')
    }
    pending = m.location
  }

  // The retry budget is per request (oci-registry.md §4.4): each PATCH (by offset), the commit PUT,
  // each status GET has its own count of failures, so periodic faults over a long upload never add
  // up to a failure as long as every request gets through within its own budget.
  const failures = new Map<string, number>()
  // A session an interrupted earlier run left: ask the registry about it first (a forgotten one means POST).
  const track = sessionTracker(ctx.uploads, definedOnly({ registry: ctx.session.registry, repository: ctx.repository, digest: digest || undefined }),
    size, typeof body === 'function', ctx.log)
  let resumeFrom: FailedPatch | undefined = track?.earlier
  let direct: UploadStart | undefined
  let restarted = false
  for (;;) {
    const failed: { patch?: FailedPatch } = {}
    try {
      let start = direct ?? (resumeFrom ? await resumeSession(ctx, resumeFrom, digest ?? 'blob', scopes, signal) : undefined)
      resumeFrom = undefined
      direct = undefined
      if (!start) {
        if (restarted && digest) {
          // The failed attempt may have landed the blob after all.
          const have = await statBlob(ctx, digest, signal, scopes)
          if (have) return done(digest, size ?? have.size, 'upload')
        }
        start = { location: pending ?? (await startUpload(ctx, scopes, signal)), offset: 0, resumed: false }
        pending = undefined
      }
      track?.save(start.location, start.offset)
      const result = await uploadOnce(ctx, start, body, { digest, size }, scopes, opts, failed, track)
      track?.drop()
      if (pending) await cancelUpload(ctx, pending)
      ctx.stats.blobsUploaded++
      ctx.stats.bytesUploaded += result.size
      return done(result.digest, result.size, 'upload')
    } catch (err) {
      if (signal?.aborted) throw err
      const tooLarge = err instanceof RegistryError && err.status === 413 && !ctx.chunkedRegistries.has(ctx.session.registry)
      if (tooLarge) {
        ctx.chunkedRegistries.add(ctx.session.registry)
        ctx.log(`upload: ${ctx.session.registry} refused a whole-body upload (413); switching to chunks of ${ctx.chunkSize} bytes`)
      }
      const at = failed.patch
      // POST and HEAD spend their budget inside the session; a failure outside PATCH/PUT is final.
      const step = at?.step
      const n = step ? (failures.get(step) ?? 0) + 1 : Infinity
      if (step) failures.set(step, n)
      if (!tooLarge && (!at || !restartable(err) || n >= ctx.retry.maxAttempts)) {
        // A session worth continuing next run is kept; one whose bytes are wrong is not.
        if (err instanceof DigestMismatchError || err instanceof SizeMismatchError) track?.drop()
        throw err
      }
      ctx.stats.retries++
      const ms = tooLarge ? 0 : retryAfterOf(err) ?? backoffDelay(n, ctx.retry)
      // A 416 means the registry disagrees with our offset, a 400 (DIGEST_INVALID) that what it holds
      // is damaged, a 404 that the session is gone: only a fresh session settles these.
      const fresh = tooLarge || !(err instanceof RegistryError) || err.status === 416 || err.status === 400 || err.status === 404
      let how: string
      if (!fresh && answeredUnprocessed(err)) {
        // The registry answered (5xx, 429, 401) instead of taking the request: send it again as is.
        direct = { location: at!.location, offset: at!.offset, resumed: at!.resumed }
        how = `retrying ${step}`
      } else if (!fresh) {
        resumeFrom = at
        how = 'asking the registry how much it kept'
      } else {
        how = 'restarting from POST'
      }
      ctx.log(`upload: ${digest ?? 'blob'} failed, ${how} in ${ms}ms (${step ?? 'upload'} failure ${n === Infinity ? 1 : n}/${ctx.retry.maxAttempts}): ${(err as Error).message}`)
      restarted = true
      await sleep(ms, signal)
    }
  }
}

/**
 * True when the registry answered with a status meaning "not done, try again" (5xx, 429, a 401
 * that got a new token): nothing of the request was taken, so it can be sent again on the same
 * session without asking how much was kept. A wrong guess costs one refused request (the
 * session's offset check, or the commit's digest check), never a bad blob.
 */
function answeredUnprocessed(err: unknown): boolean {
  return err instanceof RegistryError && !(err instanceof UnreachableError) && err.status > 0 && err.retryable &&
    err.code !== 'ERR_REGISTRY_UPLOAD_SHORT'
}

/** Errors after which a fresh upload from POST may succeed. */
function restartable(err: unknown): boolean {
  if (err instanceof UnreachableError) return err.retryable
  if (err instanceof RegistryError) {
    // 404 BLOB_UPLOAD_*: the session is gone; 400 DIGEST_INVALID: bytes damaged in transit (we hashed them
    // ourselves) or a resumed session's start differed; 416: the session's offset is not ours.
    return err.retryable || (err.status === 404 && err.errors.some((e) => e.code.startsWith('BLOB_UPLOAD_'))) ||
      (err.status === 400 && err.errors.some((e) => e.code === 'DIGEST_INVALID')) || err.status === 416
  }
  return false
}

function retryAfterOf(err: unknown): number | undefined {
  const v = (err as { retryAfterMs?: unknown }).retryAfterMs
  return typeof v === 'number' ? v : undefined
}

/** POST an empty upload request; returns the session Location resolved against the response URL. */
async function startUpload(ctx: RepoContext, scopes: readonly string[], signal?: AbortSignal): Promise<string> {
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

interface Known { digest: Digest | undefined; size: number | undefined }

/**
 * One attempt on the session `start` names. The whole body is read and hashed from its first byte
 * even when resuming: only the bytes past `start.offset` are sent. `failed.patch` says which
 * session a failing PATCH was on, so the caller can ask the registry what it kept.
 */
async function uploadOnce(ctx: RepoContext, start: UploadStart, body: BlobBody, known: Known, scopes: readonly string[],
  opts: RegistryPutOptions, failed: { patch?: FailedPatch }, track?: SessionTracker): Promise<{ digest: Digest; size: number }> {
  const forced = ctx.uploadMode === 'chunked' || ctx.chunkedRegistries.has(ctx.session.registry)
  // Large blobs a later run could resume go in chunks: each acknowledged chunk is a point to continue from.
  const resumable = !forced && ctx.uploadMode === 'auto' && track !== undefined && ctx.resumableChunkSize > 0 && known.size !== undefined && known.size >= 2 * ctx.resumableChunkSize
  const chunked = forced || resumable
  const chunkSize = forced ? ctx.chunkSize : ctx.resumableChunkSize
  if (!chunked && body instanceof Uint8Array && ctx.uploadMode === 'auto' && start.offset === 0) {
    const digest = known.digest!
    failed.patch = { location: start.location, offset: 0, resumed: false, step: 'PUT', sent: () => body.length, size: body.length }
    await commit(ctx, start.location, digest, scopes, opts.signal, body)
    failed.patch = undefined
    opts.onProgress?.({ digest, kind: 'upload', bytes: body.length, total: body.length })
    return { digest, size: body.length }
  }
  const source = body instanceof Uint8Array ? Readable.from([Buffer.from(body)]) : await body()
  const digester = new Digester()
  const progress = progressCounter(known.digest, known.size, opts)
  const rest = new Remainder(start.offset)
  source.on('error', (err) => digester.destroy(err))
  digester.on('error', (err) => progress.destroy(err))
  progress.on('error', (err) => rest.destroy(err))
  source.pipe(digester).pipe(progress).pipe(rest)
  let loc = start.location
  try {
    loc = chunked ? await patchChunks(ctx, start, rest, known.size, chunkSize, scopes, opts.signal, failed, track)
      : await patchStream(ctx, start, rest, known.size, scopes, opts.signal, failed)
  } catch (err) {
    if (!source.destroyed) {
      source.on('error', () => {})
      source.destroy()
    }
    if ((err as { code?: string }).code === 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH' && known.size !== undefined) {
      throw new SizeMismatchError(known.size, digester.bytes, known.digest)
    }
    throw err
  }
  failed.patch = undefined
  // The registry can answer once it has Content-Length bytes, before the source has seen its
  // end (a file stream's last empty read). Destroying it then would leave the digest unsettled
  // for ever: drain the rest instead, so any bytes past the declared size are counted and refused.
  rest.resume()
  const got = await digester.result
  try {
    if (known.size !== undefined && got.size !== known.size) throw new SizeMismatchError(known.size, got.size, known.digest)
    if (known.digest && got.digest !== known.digest) throw new DigestMismatchError(known.digest, got.digest, got.size)
  } catch (err) {
    await cancelUpload(ctx, loc)
    throw err
  }
  // Every byte is in the session now: a failed commit (here or in a later run) resumes with the PUT alone.
  track?.save(loc, got.size)
  failed.patch = { location: loc, offset: got.size, resumed: true, step: 'PUT', sent: () => got.size, size: got.size }
  await commit(ctx, loc, got.digest, scopes, opts.signal)
  failed.patch = undefined
  return got
}

/** One PATCH carrying the rest of the stream (none when the registry has it all); returns the next Location. */
async function patchStream(ctx: RepoContext, at: UploadStart, body: Remainder, size: number | undefined, scopes: readonly string[],
  signal: AbortSignal | undefined, failed: { patch?: FailedPatch }): Promise<string> {
  const headers = streamHeaders(at, size)
  if (!headers) return at.location
  failed.patch = { location: at.location, offset: at.offset, resumed: at.resumed, step: `PATCH ${at.offset}`, sent: () => at.offset + body.passed, size }
  const res = await ctx.session.request({ method: 'PATCH', url: at.location, headers, body, scopes, ok: [202, 204], what: 'upload', retry: false, signal })
  await res.body.dump().catch(() => {})
  return nextLocation(res, 'PATCH')
}

/** Content-Range PATCHes of `ctx.chunkSize` bytes from `at.offset`; returns the Location after the last one. */
async function patchChunks(ctx: RepoContext, at: UploadStart, body: Readable, size: number | undefined, chunkSize: number,
  scopes: readonly string[], signal: AbortSignal | undefined, failed: { patch?: FailedPatch }, track?: SessionTracker): Promise<string> {
  let loc = at.location
  let offset = at.offset
  for await (const chunk of chunksOf(body, chunkSize)) {
    const end = offset + chunk.length - 1
    failed.patch = { location: loc, offset, resumed: true, step: `PATCH ${offset}`, sent: () => end + 1, size }
    const res = await ctx.session.request({
      method: 'PATCH', url: loc, body: chunk, scopes, ok: [202, 204], what: 'upload', retry: false,
      headers: { 'content-type': OCTET, 'content-range': `${offset}-${end}`, 'content-length': String(chunk.length) },
      signal,
    })
    await res.body.dump().catch(() => {})
    // The server's Range is ambiguous for 0/1 bytes (distribution says 0-0 for both): trust our own offset
    // and only use Range to detect a short write.
    const range = /^(?:bytes=)?0-(\d+)$/.exec(header(res.headers, 'range') ?? '')
    if (range && Number(range[1]) < end && end > 0) {
      throw new RegistryError('ERR_REGISTRY_UPLOAD_SHORT', `registry stored only ${Number(range[1]) + 1} of ${end + 1} bytes of a chunked upload; restarting`,
        { status: res.status, method: 'PATCH', url: res.url, retryable: true })
    }
    loc = nextLocation(res, 'PATCH')
    offset = end + 1
    track?.save(loc, offset)
  }
  return loc
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
