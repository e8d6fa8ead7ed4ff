/** Blob push (oci-registry.md §1.5, §1.6, §4.2): HEAD (exists → skip) → mount from same-registry
 * sources → upload (upload-send.ts). Uploads are POST then one of: monolithic PUT (bytes), one
 * streamed PATCH plus an empty PUT `?digest=`, or Content-Range chunks (large blobs a later run can
 * resume, forced chunks, or after a 413). A failed PATCH continues the same session where the
 * registry left it (upload-resume.ts); any other failed step, or a session that cannot be resumed,
 * restarts from HEAD/POST with a fresh body. An interrupted push (the caller's signal) stops at a
 * chunk boundary and keeps its session for the next run (upload-state.ts).
 */
import { setMaxListeners } from 'node:events'
import { DigestMismatchError, SizeMismatchError, sha256, verifyBytes, type Digest } from '../digest/index.js'
import type { Descriptor, PutBlobOptions } from '../oci/index.js'
import { pushScope, pullScope } from './challenge.js'
import { cancelUpload, mountFromAny, mountSourcesFor, statBlob } from './blobs.js'
import type { RepoContext } from './context.js'
import { RegistryError, UnreachableError } from './errors.js'
import { backoffDelay, sleep } from './retry.js'
import { resumeSession, type FailedPatch, type UploadStart } from './upload-resume.js'
import { startUpload, uploadOnce, type BlobBody } from './upload-send.js'
import { sessionTracker } from './upload-state.js'
import { definedOnly } from '../defined.js'

export type { BlobBody } from './upload-send.js'

/** Options of a registry blob put: the BlobStore ones plus same-registry mount sources. */
export interface RegistryPutOptions extends PutBlobOptions {
  /** Repositories to try mounting from: `path` or `registry/path` (other registries are skipped). */
  mountFrom?: readonly string[]
  /**
   * A local file holding exactly the blob's bytes (an OCI layout's blob): read in place with a few
   * reused buffers, and from the offset when resuming, instead of the body's stream. Ignored when
   * it cannot be opened or has another size.
   */
  file?: string
  /**
   * Mount before any HEAD: the caller knows a source holds the blob (a copy inside one registry),
   * and a mount answers 201 whether or not the target had it, so a blob the target lacks costs one
   * request instead of two. A mount that opens a session instead is followed by the HEAD.
   */
  mountFirst?: boolean
}

const OCTET = 'application/octet-stream'

/** How long a chunk in flight may take to finish after the signal asked the upload to stop. */
export const STOP_GRACE_MS = 5000

/**
 * Pushes a blob and returns its descriptor (mediaType from `expect`, else octet-stream). Bytes are
 * checked against `expect.digest`/`size` before sending; a stream is hashed while sent and the
 * commit is skipped (session cancelled) when it does not match. When `opts.signal` aborts, requests
 * between chunks end at once but a chunk in flight (and the commit) get STOP_GRACE_MS to finish,
 * so the session the next run resumes is still good; then the signal's reason is thrown.
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
  // `held`: bytes an earlier run's session already held, which this run did not send.
  const done = (d: Digest, n: number, kind: 'upload' | 'mount' | 'exists', held = 0): Descriptor => {
    opts.onProgress?.({ digest: d, kind, bytes: n - held, total: n, done: true })
    return { mediaType, digest: d, size: n }
  }

  let pending: string | undefined
  if (digest) {
    const mounted = (d: Digest): Descriptor => {
      ctx.stats.blobsMounted++
      ctx.stats.bytesMounted += size ?? 0
      return done(d, size ?? 0, 'mount')
    }
    let m = opts.mountFirst && sources.length > 0 ? await mountFromAny(ctx, digest, sources, signal) : undefined
    if (m?.mounted) return mounted(digest)
    const have = await statBlob(ctx, digest, signal, scopes)
    if (have) {
      if (m?.location) await cancelUpload(ctx, m.location)
      ctx.stats.blobsExisting++
      ctx.stats.bytesExisting += size ?? have.size
      return done(digest, size ?? have.size, 'exists')
    }
    m ??= await mountFromAny(ctx, digest, sources, signal)
    if (m.mounted) return mounted(digest)
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
  let held = 0
  let direct: UploadStart | undefined
  let restarted = false
  const hard = lingering(signal, STOP_GRACE_MS)
  const send = definedOnly({ onProgress: opts.onProgress, file: opts.file, stop: signal, hard: hard.signal })
  try {
    for (;;) {
      const failed: { patch?: FailedPatch } = {}
      try {
        const fromEarlierRun = resumeFrom !== undefined && resumeFrom === track?.earlier
        let start = direct ?? (resumeFrom ? await resumeSession(ctx, resumeFrom, digest ?? 'blob', scopes, signal) : undefined)
        if (fromEarlierRun && start) held = start.offset
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
        const result = await uploadOnce(ctx, start, body, { digest, size }, scopes, send, failed, track)
        track?.drop()
        if (pending) await cancelUpload(ctx, pending)
        ctx.stats.blobsUploaded++
        ctx.stats.bytesUploaded += result.size - held
        return done(result.digest, result.size, 'upload', held)
      } catch (err) {
        if (signal?.aborted) throw err
        const tooLarge = err instanceof RegistryError && err.status === 413 && !ctx.chunkedRegistries.has(ctx.session.registry)
        if (tooLarge) {
          ctx.chunkedRegistries.add(ctx.session.registry)
          ctx.log(`upload: ${ctx.session.registry} refused a whole-body upload (413); switching to chunks of ${ctx.chunkSize} bytes`)
        }
        const at = failed.patch
        // Chunks were our idea, for resuming: a registry that does not take them gets one streamed PATCH.
        const refused = at?.resumableChunks === true && chunksRefused(err)
        if (refused) {
          ctx.streamOnly.add(ctx.session.registry)
          ctx.log(`upload: ${ctx.session.registry} did not take a resumable chunk (${(err as Error).message}); one streamed PATCH from now on`)
        }
        // POST and HEAD spend their budget inside the session; a failure outside PATCH/PUT is final.
        const step = at?.step
        const n = step ? (failures.get(step) ?? 0) + 1 : Infinity
        if (step) failures.set(step, n)
        if (!tooLarge && !refused && (!at || !restartable(err) || n >= ctx.retry.maxAttempts)) {
          // A session worth continuing next run is kept; one whose bytes are wrong is not.
          if (err instanceof DigestMismatchError || err instanceof SizeMismatchError) track?.drop()
          throw err
        }
        ctx.stats.retries++
        const ms = tooLarge || refused ? 0 : retryAfterOf(err) ?? backoffDelay(n, ctx.retry)
        // A 416 means the registry disagrees with our offset, a 400 (DIGEST_INVALID) that what it holds
        // is damaged, a 404 that the session is gone: only a fresh session settles these.
        const fresh = tooLarge || refused || !(err instanceof RegistryError) || err.status === 416 || err.status === 400 || err.status === 404
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
  } finally {
    hard.dispose()
  }
}

/**
 * A signal that aborts `ms` after `signal` does (with its reason): requests that should be let
 * finish after an interrupt, within bounds. dispose() removes the listener from the caller's signal.
 */
export function lingering(signal: AbortSignal | undefined, ms: number): { signal?: AbortSignal; dispose(): void } {
  if (!signal) return { dispose() {} }
  const c = new AbortController()
  // Shared by every request of one upload, and by the uploads that share an outer signal.
  setMaxListeners(0, c.signal)
  let timer: NodeJS.Timeout | undefined
  const fire = (): void => {
    timer = setTimeout(() => c.abort(signal.reason), ms)
    timer.unref()
  }
  if (signal.aborted) fire()
  else signal.addEventListener('abort', fire, { once: true })
  return {
    signal: c.signal,
    dispose() {
      signal.removeEventListener('abort', fire)
      clearTimeout(timer)
    },
  }
}

/** A registry's refusal of a Content-Range chunk that a plain streamed upload would not meet. */
function chunksRefused(err: unknown): boolean {
  if (!(err instanceof RegistryError) || err instanceof UnreachableError) return false
  if (err.code === 'ERR_REGISTRY_UPLOAD_SHORT') return true
  return err.status >= 400 && err.status < 500 && ![401, 403, 404, 408, 429].includes(err.status)
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
