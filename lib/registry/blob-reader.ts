/** Verified blob download with resume (oci-registry.md §1.4): when the connection drops mid-body,
 * ask again with `Range: bytes=<offset>-` and accept only a 206 whose Content-Range starts at that
 * offset (a 200 means the range was ignored: fail rather than splice). Bounded by maxAttempts.
 */
import { once } from 'node:events'
import type { Readable, Transform } from 'node:stream'
import { verifyStream, type Digest } from '../digest/index.js'
import { pullScope } from './challenge.js'
import { repoPath, type RepoContext } from './context.js'
import { ProtocolError } from './errors.js'
import { discard, header, type WireResponse } from './http.js'
import { isTransientNetworkError, unreachable } from './retry.js'

/**
 * Streams `res` (the first GET of the blob) into a verifying stream, resuming on transient
 * network failures. The returned stream errors at its end unless the bytes match the digest.
 */
export function readBlobResuming(ctx: RepoContext, res: WireResponse, desc: { digest: Digest; size?: number }, signal?: AbortSignal): Readable {
  const out = verifyStream(desc.size !== undefined && desc.size >= 0 ? { digest: desc.digest, size: desc.size } : { digest: desc.digest })
  let offset = 0
  const pump = async (): Promise<void> => {
    let cur = res
    for (let attempt = 1; ; attempt++) {
      try {
        for await (const chunk of cur.body) {
          const b = chunk as Buffer
          offset += b.length
          ctx.stats.bytesDownloaded += b.length
          if (out.destroyed) break
          if (!out.write(b)) await drained(out)
          if (out.destroyed) break
        }
        if (out.destroyed) discard(cur.body)
        else out.end()
        return
      } catch (err) {
        if (out.destroyed) return
        if (signal?.aborted || attempt >= ctx.retry.maxAttempts || !isTransientNetworkError(err, true)) {
          throw unreachable(err, 'GET', cur.url, ctx.session.registry)
        }
        ctx.stats.retries++
        ctx.log(`blob: ${desc.digest} cut at byte ${offset}, resuming with a Range request`)
        cur = await resume(ctx, desc.digest, offset, signal)
      }
    }
  }
  pump().catch((err: unknown) => out.destroy(err as Error))
  return out
}

async function resume(ctx: RepoContext, digest: Digest, offset: number, signal?: AbortSignal): Promise<WireResponse> {
  const res = await ctx.session.request({
    method: 'GET', url: `${repoPath(ctx)}/blobs/${digest}`, headers: { range: `bytes=${offset}-` }, scopes: [pullScope(ctx.repository)],
    ok: [200, 206], what: 'blob', subject: `${ctx.repository}@${digest}`, signal,
  })
  const range = header(res.headers, 'content-range') ?? ''
  if (res.status !== 206 || !range.startsWith(`bytes ${offset}-`)) {
    discard(res.body)
    throw new ProtocolError(`cannot resume download of ${digest}: the registry ignored the Range request (status ${res.status}, Content-Range "${range}"); retry the pull`,
      { status: res.status, method: 'GET', url: res.url })
  }
  return res
}

/** Waits for `out` to drain or close, removing both listeners afterwards (a race alone leaks one per wait). */
async function drained(out: Transform): Promise<void> {
  const ac = new AbortController()
  const wait = (ev: string): Promise<unknown> => once(out, ev, { signal: ac.signal }).catch(() => undefined)
  try {
    await Promise.race([wait('drain'), wait('close')])
  } finally {
    ac.abort()
  }
}
