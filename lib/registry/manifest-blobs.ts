/** A manifest PUT that finds out from the registry which blobs are missing (oci-registry.md §1.7):
 * a registry that validates references answers 400 MANIFEST_BLOB_UNKNOWN naming each blob it
 * lacks, so the manifest can go first and only what it names is mounted or uploaded — blobs the
 * repository already holds cost nothing. That is only safe where the registry is known to
 * validate (a kept fact): elsewhere every unsure blob is supplied first. While the fact is
 * unknown the manifest goes first by digest, never by tag, so a registry that takes a manifest
 * with holes never has a tag pointing at one; its answer teaches the fact. When only blobs that are
 * no layer (a config) are unsure, a HEAD each is cheaper than that probe.
 */
import { sha256, type Digest } from '../digest/index.js'
import type { MediaType, PutWithBlobsOptions, PutWithBlobsResult } from '../oci/index.js'
import type { RepoContext } from './context.js'
import { RegistryError } from './errors.js'
import { putManifest } from './manifests.js'
import { statBlob } from './blobs.js'
import { pushScope } from './challenge.js'

/** Probes answered 201 (nothing learned) after which a client stops probing that registry. */
const MAX_UNANSWERED_PROBES = 2

const DIGEST = /sha256:[0-9a-f]{64}/g

/** The digests a manifest PUT was refused for as missing, or undefined when it was refused for something else. */
export function missingBlobs(err: unknown): Digest[] | undefined {
  if (!(err instanceof RegistryError) || err.status !== 400) return undefined
  const unknown = err.errors.filter((e) => e.code === 'MANIFEST_BLOB_UNKNOWN' || e.code === 'BLOB_UNKNOWN')
  if (unknown.length === 0 || unknown.length !== err.errors.length) return undefined
  const found = new Set<Digest>()
  for (const e of unknown) {
    const text = `${typeof e.detail === 'string' ? e.detail : JSON.stringify(e.detail ?? '')} ${e.message}`
    for (const m of text.match(DIGEST) ?? []) found.add(m as Digest)
  }
  return [...found]
}

/** Digests of a manifest's layers (or an index's children): what proves validation when named missing. */
function referenced(bytes: Uint8Array): Set<string> {
  try {
    const v = JSON.parse(Buffer.from(bytes).toString('utf8')) as { layers?: { digest?: unknown }[]; manifests?: { digest?: unknown }[] }
    return new Set([...(v.layers ?? []), ...(v.manifests ?? [])].map((d) => String(d?.digest)))
  } catch {
    return new Set()
  }
}

/** See the file comment; `ref` moves only after every unsure blob the registry lacks is supplied. */
export async function putManifestWithBlobs(ctx: RepoContext, ref: string, bytes: Uint8Array, mediaType: MediaType,
  opts: PutWithBlobsOptions): Promise<PutWithBlobsResult> {
  const registry = ctx.session.registry
  const unsure = new Set<Digest>(opts.unsure)
  const supplied: Digest[] = []
  const supply = async (ds: Digest[]): Promise<void> => {
    const fresh = ds.filter((d) => unsure.delete(d))
    if (fresh.length === 0) return
    supplied.push(...fresh)
    await opts.supply(fresh)
  }
  const put = async (to: string) => {
    await opts.ready
    return putManifest(ctx, to, bytes, mediaType, opts.signal)
  }
  // Only the config is unsure (a rollback's, most likely there): a probe by digest could not show
  // whether layers are checked, and its 201 would still leave the config to be written. One HEAD
  // each settles it: 2 requests when it is there, instead of 4.
  const statThenPut = async (): Promise<PutWithBlobsResult> => {
    const heads = Promise.all([...unsure].map((d) => statBlob(ctx, d, opts.signal, [pushScope(ctx.repository)])))
    // Both settle before either throws, so a failing HEAD never leaves the other blobs' writes running unwatched.
    const [h, r] = await Promise.allSettled([heads, opts.ready])
    if (r.status === 'rejected') throw r.reason
    if (h.status === 'rejected') throw h.reason
    const there = h.value
    await supply([...unsure].filter((_, i) => !there[i]))
    return { descriptor: await put(ref), supplied, asked: true }
  }
  let validated = ctx.validatesManifests.has(registry)
  if (unsure.size === 0 || (!validated && ctx.probes.unanswered >= MAX_UNANSWERED_PROBES)) {
    await supply([...unsure])
    return { descriptor: await put(ref), supplied, asked: false }
  }
  const layers = referenced(bytes)
  if (!validated && [...unsure].every((d) => !layers.has(d))) return await statThenPut()
  // Each round supplies at least one blob, so this ends; a registry that names one blob at a time still gets there.
  for (;;) {
    const to = validated ? ref : sha256(bytes)
    try {
      const descriptor = await put(to)
      if (validated) return { descriptor, supplied, asked: true }
      // Taken by digest: nothing was missing, or the registry does not check. Holes are filled before the tag moves.
      ctx.probes.unanswered++
      await supply([...unsure])
      return { descriptor: to === ref ? descriptor : await put(ref), supplied, asked: false }
    } catch (err) {
      const missing = missingBlobs(err)
      if (!missing) throw err
      if (!validated && missing.some((d) => layers.has(d))) {
        validated = true
        ctx.validatesManifests.add(registry)
        ctx.log(`manifest: ${registry} refuses manifests naming layers it lacks; manifests go first from now on`)
      }
      const wanted = missing.length > 0 ? missing.filter((d) => unsure.has(d)) : [...unsure]
      // Named missing but not ours to supply (the registry lost a blob taken as held), or nothing left: the refusal stands.
      if (wanted.length === 0 || missing.some((d) => !unsure.has(d) && !supplied.includes(d))) throw err
      await supply(wanted)
      if (!validated) {
        // Refused for its config only: whether layers are checked is still unknown, so all of them first.
        await supply([...unsure])
        return { descriptor: await put(ref), supplied, asked: false }
      }
    }
  }
}
