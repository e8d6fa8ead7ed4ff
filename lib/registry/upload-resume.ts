/** Resuming a blob upload after a failed PATCH (oci-registry.md §1.5 "Status/resume", §4.2 step 5):
 * ask the session how many bytes it kept (`GET <Location>` → 204 + `Range: 0-<last>` + a fresh
 * Location), then send only the rest. A stream body is hashed again from its start, so the commit
 * digest always covers every byte; a file is read from the offset only, and the registry's check
 * of the commit digest against what it stored covers the rest.
 * Whenever the answer is missing, odd or larger than what we could have sent, the caller restarts
 * from POST instead.
 */
import type { RepoContext } from './context.js'
import { cancelUpload } from './blobs.js'
import { header } from './http.js'
import { resolveLocation } from './location.js'

/** Where an upload attempt starts sending: a session Location and the bytes that session already holds. */
export interface UploadStart {
  location: string
  offset: number
  /** True when continuing a session an earlier attempt opened (a streamed PATCH then carries Content-Range). */
  resumed: boolean
}

/** The session a PATCH or the commit PUT failed on, as far as we know it. */
export interface FailedPatch {
  /** The Location the failed PATCH was sent to: its state still matches what the registry holds. */
  location: string
  /** Where the failed request started, and whether it said so (Content-Range): enough to send it again. */
  offset: number
  resumed: boolean
  /** The request, for its own retry budget: `PATCH <offset>` or `PUT`. */
  step: string
  /** Upper bound of the bytes the registry can have: the offset plus everything handed to the request body. */
  sent: () => number
  size: number | undefined
  /** The request was a chunk sent only so that a later run could resume (the registry may not take chunks). */
  resumableChunks?: boolean
}

/** The parsed status of an upload session, or why it cannot be used. */
export type ResumeAnswer = UploadStart | { reason: string }

/** Asks the registry how much of the failed session it kept; never throws except on abort. */
export async function resumePoint(ctx: RepoContext, failed: FailedPatch, scopes: readonly string[], signal?: AbortSignal): Promise<ResumeAnswer> {
  let status: number
  let range: string | undefined
  let location: string | undefined
  try {
    const res = await ctx.session.request({
      // A status GET is idempotent: the session retries it within its own budget.
      method: 'GET', url: failed.location, scopes, ok: [200, 204], what: 'upload', signal,
    })
    await res.body.dump().catch(() => {})
    status = res.status
    range = header(res.headers, 'range')
    const loc = header(res.headers, 'location')
    location = loc ? resolveLocation(res.url, loc) : undefined
  } catch (err) {
    if (signal?.aborted) throw err
    return { reason: `upload status failed: ${(err as Error).message}` }
  }
  if (!location) return { reason: `upload status answered ${status} without a Location` }
  const m = /^(?:bytes=)?0-(\d+)$/.exec(range?.trim() ?? '')
  if (!m) return { reason: `upload status answered ${status} without a usable Range` }
  const last = Number(m[1])
  // `0-0` is what distribution says for both 0 and 1 byte(s): assume none. If it did keep one, the
  // registry either refuses our Content-Range (416) or the commit's digest check fails, and both
  // lead back to a fresh session.
  const offset = last === 0 ? 0 : last + 1
  const sent = failed.sent()
  const odd = !Number.isSafeInteger(offset) ? `an unusable Range ${range}`
    : failed.size !== undefined && offset > failed.size ? `${offset} bytes stored of a ${failed.size}-byte blob`
    : offset > sent ? `${offset} bytes stored but only ${sent} were sent` : undefined
  if (odd) {
    await cancelUpload(ctx, location)
    return { reason: `registry reports ${odd}` }
  }
  return { location, offset, resumed: true }
}

/** Where to continue after `failed`, logged for --verbose; undefined (also logged) means restart from POST. */
export async function resumeSession(ctx: RepoContext, failed: FailedPatch, what: string, scopes: readonly string[],
  signal?: AbortSignal): Promise<UploadStart | undefined> {
  const r = await resumePoint(ctx, failed, scopes, signal)
  if ('reason' in r) {
    ctx.log(`upload: cannot resume ${what} (${r.reason}); restarting from POST`)
    return undefined
  }
  ctx.log(`upload: resuming ${what} at byte ${r.offset} of ${failed.size ?? 'unknown'}`)
  return r
}

/**
 * Headers of the PATCH sending a stream from `at`, or undefined when the registry already has all
 * of it. A fresh session gets no Content-Range (the Docker-style streamed upload); a resumed one
 * says where it continues, so a registry that checks ranges refuses a wrong offset (416) instead
 * of appending.
 */
export function streamHeaders(at: UploadStart, size: number | undefined): Record<string, string> | undefined {
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream' }
  if (size === undefined) return headers
  if (at.resumed && at.offset > 0 && at.offset === size) return undefined
  headers['content-length'] = String(size - at.offset)
  if (at.resumed && size > at.offset) headers['content-range'] = `${at.offset}-${size - 1}`
  return headers
}
