/** Small blobs the repository most likely lacks (a rebased config): no HEAD first. The bytes go on
 * the POST with `?digest=` (oci-registry.md §1.5, optional in the spec): one round trip where the
 * registry stores them. A registry that opens a session instead (202: distribution 2.8.2) gets
 * them again on the PUT, and is remembered, so later uploads send an empty POST. Any failure of
 * this short path is left to the full one (putBlob: HEAD, upload, resume), which finds a blob
 * that landed after all.
 */
import { sha256, verifyBytes } from '../digest/index.js'
import type { Descriptor, PutBlobOptions } from '../oci/index.js'
import { pushScope } from './challenge.js'
import { repoPath, type RepoContext } from './context.js'
import { RegistryError, ProtocolError } from './errors.js'
import { header, type WireResponse } from './http.js'
import { appendQuery, resolveLocation } from './location.js'
import { putBlob } from './upload.js'
import { definedOnly } from '../defined.js'

const OCTET = 'application/octet-stream'

/** Statuses meaning "not this way" for a POST carrying a body: the two-step upload is tried instead. */
const REFUSED_SINGLE_POST = new Set([400, 405, 411, 413, 415, 501])

/** Stores `bytes` (checked against `expect`) without asking whether the repository has them. */
export async function postBlob(ctx: RepoContext, bytes: Uint8Array, expect: Partial<Descriptor> = {}, opts: PutBlobOptions = {}): Promise<Descriptor> {
  if (expect.digest) verifyBytes(bytes, definedOnly({ digest: expect.digest, size: expect.size }))
  const digest = sha256(bytes)
  const desc: Descriptor = { mediaType: expect.mediaType ?? OCTET, digest, size: bytes.length }
  const registry = ctx.session.registry
  const scopes = [pushScope(ctx.repository)]
  const base = { scopes, what: 'upload' as const, subject: `${ctx.repository}@${digest}`, signal: opts.signal }
  try {
    let location: string
    const single = !ctx.singlePostIgnored.has(registry)
    const post = await ctx.session.request({
      ...base, method: 'POST', url: single ? appendQuery(`${repoPath(ctx)}/blobs/uploads/`, 'digest', digest) : `${repoPath(ctx)}/blobs/uploads/`,
      headers: single ? { 'content-type': OCTET, 'content-length': String(bytes.length) } : { 'content-length': '0' },
      body: single ? bytes : new Uint8Array(0), ok: single ? [201, 202] : [202],
    }).catch((err: unknown) => {
      if (!single || !(err instanceof RegistryError) || !REFUSED_SINGLE_POST.has(err.status)) throw err
      return undefined
    })
    if (post) await post.body.dump().catch(() => {})
    if (post?.status === 201) return done(ctx, desc, opts)
    if (single) {
      ctx.singlePostIgnored.add(registry)
      ctx.log(`upload: ${registry} does not store a blob sent on the POST (${post ? post.status : 'refused'}); POST then PUT from now on`)
    }
    if (post) {
      location = nextLocation(post)
    } else {
      const empty = await ctx.session.request({
        ...base, method: 'POST', url: `${repoPath(ctx)}/blobs/uploads/`, headers: { 'content-length': '0' }, body: new Uint8Array(0), ok: [202],
      })
      await empty.body.dump().catch(() => {})
      location = nextLocation(empty)
    }
    // Not retried here: a PUT whose answer was lost may have closed the session; the full path finds out.
    const put = await ctx.session.request({
      ...base, method: 'PUT', url: appendQuery(location, 'digest', digest), retry: false, ok: [201, 204],
      headers: { 'content-type': OCTET, 'content-length': String(bytes.length) }, body: bytes,
    })
    await put.body.dump().catch(() => {})
    return done(ctx, desc, opts)
  } catch (err) {
    if (opts.signal?.aborted) throw err
    ctx.log(`upload: ${digest} by POST and PUT failed, taking the full path: ${(err as Error).message}`)
    return putBlob(ctx, bytes, desc, opts)
  }
}

function done(ctx: RepoContext, desc: Descriptor, opts: PutBlobOptions): Descriptor {
  ctx.stats.blobsUploaded++
  ctx.stats.bytesUploaded += desc.size
  opts.onProgress?.({ digest: desc.digest, kind: 'upload', bytes: desc.size, total: desc.size, done: true })
  return desc
}

function nextLocation(res: WireResponse): string {
  const loc = header(res.headers, 'location')
  if (!loc) throw new ProtocolError('registry answered the POST of a blob upload without a Location header', { status: res.status, method: 'POST', url: res.url })
  return resolveLocation(res.url, loc)
}
