/** Blob reads and mounts (oci-registry.md §1.4, §1.6): HEAD stat, verified streamed GET (redirects
 * followed without credentials by the wire layer), cross-repository mount.
 */
import type { Readable } from 'node:stream'
import type { Digest } from '../digest/index.js'
import type { Descriptor } from '../oci/index.js'
import { RegistryError } from './errors.js'
import { readBlobResuming } from './blob-reader.js'
import { pullScope, pushScope } from './challenge.js'
import { repoPath, type RepoContext } from './context.js'
import { header } from './http.js'
import { resolveLocation } from './location.js'

const OCTET = 'application/octet-stream'

/**
 * HEAD the blob: its descriptor (size from Content-Length) when present, undefined on 404.
 * Auth and other failures throw. `scopes` default to pull (push flows pass their push scopes).
 */
export async function statBlob(ctx: RepoContext, digest: Digest, signal?: AbortSignal, scopes?: readonly string[]): Promise<Descriptor | undefined> {
  const res = await ctx.session.request({
    method: 'HEAD', url: `${repoPath(ctx)}/blobs/${digest}`, scopes: scopes ?? [pullScope(ctx.repository)], ok: [200, 404],
    what: 'blob', subject: `${ctx.repository}@${digest}`, signal,
  })
  await res.body.dump().catch(() => {})
  if (res.status === 404) return undefined
  const len = Number(header(res.headers, 'content-length'))
  return { mediaType: OCTET, digest, size: Number.isFinite(len) ? len : -1 }
}

/**
 * GET the blob as a stream that errors at its end unless the bytes match `desc.digest` (and
 * `desc.size` when given); a dropped connection is resumed with a Range request. Consumers must
 * treat output as untrusted until the stream ends cleanly.
 */
export async function openBlob(ctx: RepoContext, desc: { digest: Digest; size?: number }, signal?: AbortSignal): Promise<Readable> {
  const res = await ctx.session.request({
    method: 'GET', url: `${repoPath(ctx)}/blobs/${desc.digest}`, scopes: [pullScope(ctx.repository)], ok: [200],
    what: 'blob', subject: `${ctx.repository}@${desc.digest}`, signal,
  })
  return readBlobResuming(ctx, res, desc, signal)
}

/** Outcome of a mount attempt: mounted, or not mounted with the upload session the registry opened. */
export type MountResult = { mounted: true } | { mounted: false; location?: string }

/**
 * POST `?mount=<digest>&from=<source>` into this repository. 201 → mounted; 202 → not mounted,
 * the registry opened an upload session (its Location is returned for reuse or cancel). Errors
 * throw (the caller falls back to a plain upload).
 */
export async function mountBlob(ctx: RepoContext, digest: Digest, fromRepository: string, signal?: AbortSignal): Promise<MountResult> {
  const q = `mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(fromRepository)}`
  const res = await ctx.session.request({
    method: 'POST', url: `${repoPath(ctx)}/blobs/uploads/?${q}`, headers: { 'content-length': '0' },
    scopes: [pushScope(ctx.repository), pullScope(fromRepository)], ok: [201, 202], what: 'upload',
    subject: `${ctx.repository}@${digest} (mount from ${fromRepository})`, signal,
  })
  await res.body.dump().catch(() => {})
  if (res.status === 201) return { mounted: true }
  const loc = header(res.headers, 'location')
  return loc ? { mounted: false, location: resolveLocation(res.url, loc) } : { mounted: false }
}

/** Best-effort DELETE of an upload session (it may need the delete action; failures are only logged). */
export async function cancelUpload(ctx: RepoContext, location: string): Promise<void> {
  try {
    const res = await ctx.session.request({
      method: 'DELETE', url: location, scopes: [pushScope(ctx.repository)], ok: [200, 202, 204, 400, 401, 403, 404, 405], retry: false,
    })
    await res.body.dump().catch(() => {})
  } catch (err) {
    ctx.log(`upload: cancel failed (ignored): ${(err as Error).message}`)
  }
}

/** Mount sources in this registry other than the target repository, as repository paths. */
export function mountSourcesFor(ctx: RepoContext, from: readonly string[]): string[] {
  const prefix = `${ctx.session.registry}/`
  const out = new Set<string>()
  for (const f of from) {
    let path = f
    if (f.startsWith(prefix)) path = f.slice(prefix.length)
    else if (/^[^/]*[.:][^/]*\//.test(f) || f.startsWith('localhost/')) continue // another registry
    if (path && path !== ctx.repository) out.add(path)
  }
  return [...out]
}

/**
 * Tries to mount `digest` from each source in turn. Returns mounted, or not mounted with the
 * upload session the last 202 opened (sessions opened earlier are cancelled). Failures fall
 * through to the next source; a refusal (4xx other than 429) holds for every blob of that
 * source, so it is remembered for the client and that source is not asked again.
 */
export async function mountFromAny(ctx: RepoContext, digest: Digest, sources: readonly string[], signal?: AbortSignal): Promise<MountResult> {
  let pending: string | undefined
  for (const from of sources) {
    const key = `${ctx.session.registry}|${from}`
    if (ctx.refusedMounts.has(key)) continue
    try {
      const r = await mountBlob(ctx, digest, from, signal)
      if (r.mounted) {
        ctx.log(`upload: mounted ${digest} from ${from}`)
        if (pending) await cancelUpload(ctx, pending)
        return r
      }
      if (pending) await cancelUpload(ctx, pending)
      pending = r.location
    } catch (err) {
      if (signal?.aborted) throw err
      ctx.log(`upload: mount of ${digest} from ${from} failed, uploading instead: ${(err as Error).message}`)
      if (err instanceof RegistryError && err.status >= 400 && err.status < 500 && err.status !== 429) {
        ctx.refusedMounts.add(key)
        ctx.log(`upload: not mounting from ${from} again in this run (${err.status})`)
      }
    }
  }
  return pending ? { mounted: false, location: pending } : { mounted: false }
}
