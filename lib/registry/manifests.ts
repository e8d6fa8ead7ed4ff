/** Manifest endpoints (oci-registry.md §1.3, §1.7, §1.9): GET/HEAD with the full Accept list,
 * digest computed over the exact bytes (verified when fetched by digest), schema1 refused, 4 MiB
 * cap both ways, PUT with Content-Type = media type, DELETE by digest.
 */
import { isDigest, sha256, type Digest } from '../digest/index.js'
import { isSchema1Type, MANIFEST_ACCEPT, MediaTypes, type Descriptor, type ImageIndex, type ImageManifest, type MediaType, type Parsed } from '../oci/index.js'
import { pullScope, pushScope } from './challenge.js'
import { repoPath, type RepoContext } from './context.js'
import { ProtocolError } from './errors.js'
import { discard, header, type WireResponse } from './http.js'
import { isTransientNetworkError, unreachable } from './retry.js'

/** Largest manifest read or written (distribution rejects larger; c/image reads at most this). */
export const MAX_MANIFEST_BYTES = 4 << 20

const GENERIC_TYPES = new Set(['', 'application/json', 'text/plain', 'application/octet-stream', 'binary/octet-stream'])

/** HEAD a tag or digest: its descriptor, or undefined on 404. Falls back to GET when the digest header is missing. */
export async function resolveManifest(ctx: RepoContext, ref: string, signal?: AbortSignal): Promise<Descriptor | undefined> {
  const res = await ctx.session.request({
    method: 'HEAD', url: `${repoPath(ctx)}/manifests/${ref}`, headers: { accept: MANIFEST_ACCEPT.join(', ') },
    scopes: [pullScope(ctx.repository)], ok: [200, 404], what: 'manifest', subject: `${ctx.repository}:${ref}`, signal,
  })
  await res.body.dump().catch(() => {})
  if (res.status === 404) return undefined
  const mediaType = contentType(res)
  const headerDigest = header(res.headers, 'docker-content-digest')
  const size = Number(header(res.headers, 'content-length'))
  const digest = isDigest(ref) ? ref : headerDigest && isDigest(headerDigest) ? headerDigest : undefined
  if (!digest || !mediaType || GENERIC_TYPES.has(mediaType) || !Number.isFinite(size)) {
    return (await getManifest(ctx, ref, signal)).descriptor // the headers are not enough: read the bytes
  }
  rejectSchema1(mediaType, ctx, ref, res)
  return { mediaType, digest: digest as Digest, size }
}

/** GET a manifest or index; bytes kept exactly, digest computed locally and verified when `ref` is a digest. */
export async function getManifest(ctx: RepoContext, ref: string, signal?: AbortSignal): Promise<Parsed<ImageManifest | ImageIndex>> {
  let res: WireResponse
  let bytes: Uint8Array
  for (let attempt = 1; ; attempt++) {
    res = await ctx.session.request({
      method: 'GET', url: `${repoPath(ctx)}/manifests/${ref}`, headers: { accept: MANIFEST_ACCEPT.join(', ') },
      scopes: [pullScope(ctx.repository)], ok: [200], what: 'manifest', subject: `${ctx.repository}:${ref}`, signal,
    })
    try {
      bytes = await readManifestBody(res, ctx, ref)
      break
    } catch (err) {
      // A connection cut mid-body: the request is body-less, so simply ask again (bounded).
      if (signal?.aborted || attempt >= ctx.retry.maxAttempts || !isTransientNetworkError(err, true)) {
        throw err instanceof ProtocolError ? err : unreachable(err, 'GET', res.url, ctx.session.registry)
      }
      ctx.stats.retries++
      ctx.log(`manifest: body of ${ctx.repository}:${ref} cut short, asking again: ${(err as Error).message}`)
    }
  }
  ctx.stats.bytesDownloaded += bytes.length
  const digest = sha256(bytes)
  if (isDigest(ref) && ref !== digest) {
    throw new ProtocolError(`manifest ${ctx.repository}@${ref} from ${ctx.session.registry} does not match its digest (got ${digest}): the registry served wrong content`,
      { status: res.status, method: 'GET', url: res.url }, 'ERR_DIGEST_MISMATCH')
  }
  let value: ImageManifest | ImageIndex & { schemaVersion?: unknown; mediaType?: string }
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8')) as ImageManifest
  } catch {
    throw new ProtocolError(`manifest ${ctx.repository}:${ref} from ${ctx.session.registry} is not valid JSON`, { status: res.status, method: 'GET', url: res.url },
      'ERR_MANIFEST_INVALID')
  }
  const ct = contentType(res)
  let mediaType: MediaType = typeof value?.mediaType === 'string' && value.mediaType ? value.mediaType : ct && !GENERIC_TYPES.has(ct) ? ct : sniff(value)
  if ((value as { schemaVersion?: unknown }).schemaVersion === 1) mediaType = MediaTypes.DOCKER_SCHEMA1
  rejectSchema1(mediaType, ctx, ref, res)
  if (!value || typeof value !== 'object' || (value as { schemaVersion?: unknown }).schemaVersion !== 2) {
    throw new ProtocolError(`${ctx.repository}:${ref} is not a schemaVersion 2 manifest or index`, { status: res.status, method: 'GET', url: res.url },
      'ERR_MANIFEST_INVALID')
  }
  return { value, bytes, descriptor: { mediaType, digest, size: bytes.length } }
}

/** PUT manifest bytes under a tag or digest with Content-Type = `mediaType`; refuses > 4 MiB before sending. */
export async function putManifest(ctx: RepoContext, ref: string, bytes: Uint8Array, mediaType: MediaType, signal?: AbortSignal): Promise<Descriptor> {
  const digest = sha256(bytes)
  if (bytes.length > MAX_MANIFEST_BYTES) {
    throw new ProtocolError(`manifest for ${ctx.repository}:${ref} is ${bytes.length} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit registries accept: use fewer layers or annotations`,
      { status: 0, method: 'PUT', url: `${repoPath(ctx)}/manifests/${ref}` }, 'ERR_MANIFEST_TOO_LARGE')
  }
  if (isDigest(ref) && ref !== digest) {
    throw new ProtocolError(`cannot push manifest as ${ref}: its bytes hash to ${digest}`, { status: 0, method: 'PUT', url: `${repoPath(ctx)}/manifests/${ref}` },
      'ERR_DIGEST_MISMATCH')
  }
  const res = await ctx.session.request({
    method: 'PUT', url: `${repoPath(ctx)}/manifests/${ref}`, headers: { 'content-type': mediaType }, body: bytes,
    scopes: [pushScope(ctx.repository)], ok: [200, 201, 202, 204], what: 'manifest', subject: `${ctx.repository}:${ref}`, signal,
  })
  await res.body.dump().catch(() => {})
  ctx.stats.bytesUploaded += bytes.length
  const said = header(res.headers, 'docker-content-digest')
  if (said && said !== digest) ctx.log(`manifest: registry reported ${said} for ${ctx.repository}:${ref}, computed ${digest} (using ours)`)
  return { mediaType, digest, size: bytes.length }
}

/** DELETE a manifest by digest (on distribution this also removes every tag pointing at it). */
export async function deleteManifest(ctx: RepoContext, digest: Digest, signal?: AbortSignal): Promise<void> {
  const res = await ctx.session.request({
    method: 'DELETE', url: `${repoPath(ctx)}/manifests/${digest}`, scopes: [`repository:${ctx.repository}:delete,pull,push`],
    ok: [200, 202, 204], what: 'manifest', subject: `${ctx.repository}@${digest}`, signal,
  })
  await res.body.dump().catch(() => {})
}

function contentType(res: WireResponse): string {
  return (header(res.headers, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase()
}

/** The media type a manifest without a `mediaType` member is taken to have (OCI's, by its shape); '' when unknown. */
export function sniff(v: unknown): MediaType {
  const o = (v ?? {}) as Record<string, unknown>
  if (Array.isArray(o.manifests)) return MediaTypes.OCI_INDEX
  if (o.config && Array.isArray(o.layers)) return MediaTypes.OCI_MANIFEST
  if (o.schemaVersion === 1) return MediaTypes.DOCKER_SCHEMA1
  return ''
}

function rejectSchema1(mediaType: MediaType, ctx: RepoContext, ref: string, res: WireResponse): void {
  if (isSchema1Type(mediaType)) {
    throw new ProtocolError(`${ctx.repository}:${ref} is a Docker schema1 manifest, which is obsolete and unsupported: re-push the image with a current tool`,
      { status: res.status, method: 'GET', url: res.url }, 'ERR_MANIFEST_SCHEMA1')
  }
}

async function readManifestBody(res: WireResponse, ctx: RepoContext, ref: string): Promise<Uint8Array> {
  const tooLarge = (n: number): ProtocolError => new ProtocolError(
    `manifest ${ctx.repository}:${ref} is larger than ${MAX_MANIFEST_BYTES} bytes (${n}${n > MAX_MANIFEST_BYTES ? '' : '+'}): refusing to read it`,
    { status: res.status, method: 'GET', url: res.url }, 'ERR_MANIFEST_TOO_LARGE')
  const len = Number(header(res.headers, 'content-length'))
  if (Number.isFinite(len) && len > MAX_MANIFEST_BYTES) {
    discard(res.body)
    throw tooLarge(len)
  }
  const chunks: Buffer[] = []
  let n = 0
  for await (const c of res.body) {
    n += (c as Buffer).length
    if (n > MAX_MANIFEST_BYTES) {
      discard(res.body)
      throw tooLarge(n)
    }
    chunks.push(c as Buffer)
  }
  return new Uint8Array(Buffer.concat(chunks))
}
