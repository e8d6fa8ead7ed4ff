/** Writes a rebased image with the fewest requests: the app's own layers are not even checked
 * (the old manifest in this repository refers to them, so the registry holds them); new base
 * layers are mounted straight away (a HEAD first only when they come from elsewhere) unless the
 * repository is known to hold them (the old manifest lists them, or this run mounted them); the
 * config is uploaded; then the manifest — by tag when there is exactly one tag, since one PUT
 * either moves it or not, else by digest first and then each tag.
 */
import { wrapError } from '../errors.js'
import type { Repository, TransferEvent } from '../oci/index.js'
import { mountSources, putBlob } from '../remote/index.js'
import type { HeldBlobs } from './held-blobs.js'
import type { ImagePlan } from './plan.js'
import { definedOnly } from '../defined.js'

/** Options of pushRebased. */
export interface PushRebasedOptions {
  /** Blobs known held in this run: skipped, and added to once mounted or uploaded. */
  held?: HeldBlobs
  onProgress?: (e: TransferEvent) => void
  signal?: AbortSignal
}

/**
 * Pushes `plan.next` (which must be set) into `repo` and points `tags` at it; with no tags the
 * manifest is stored by digest only. Throws the store's error wrapped with what was being pushed.
 */
export async function pushRebased(repo: Repository, plan: ImagePlan, tags: readonly string[], opts: PushRebasedOptions = {}): Promise<void> {
  const next = plan.next!
  const [manifest, layers] = await Promise.all([next.manifest(), next.layers()])
  const from = plan.newBase.repo.name
  const mountable = Boolean(repo.blobs.mount) && mountSources([from], repo.name).length > 0
  const pushOpts = definedOnly({ onProgress: opts.onProgress, signal: opts.signal })
  const jobs: Promise<void>[] = []
  if (from !== repo.name) {
    for (let i = 0; i < plan.new.layers; i++) {
      const d = manifest.layers[i]!
      if (plan.held.has(d.digest) || opts.held?.has(repo.name, d.digest)) {
        opts.onProgress?.({ digest: d.digest, kind: 'exists', bytes: d.size, total: d.size, done: true })
        continue
      }
      jobs.push((async () => {
        if (mountable) {
          let mounted: boolean
          try {
            mounted = await repo.blobs.mount!(d.digest, from, opts.signal)
          } catch (err) {
            throw wrapError(`mount ${d.digest} from ${from} into ${repo.name}`, err)
          }
          if (mounted) {
            opts.held?.add(repo.name, d.digest)
            opts.onProgress?.({ digest: d.digest, kind: 'mount', bytes: d.size, total: d.size, done: true })
            return
          }
        }
        await putBlob(repo, () => layers[i]!.compressed(opts.signal), d, { mountFrom: mountable ? [from] : [] }, pushOpts)
        opts.held?.add(repo.name, d.digest)
      })())
    }
  }
  jobs.push(putBlob(repo, await next.rawConfig(), manifest.config, {}, pushOpts))
  await Promise.all(jobs)
  const bytes = await next.rawManifest()
  const desc = await next.descriptor()
  const refs = tags.length === 1 ? [tags[0]!] : [desc.digest, ...tags]
  for (const ref of refs) {
    try {
      await repo.manifests.put(ref, bytes, desc.mediaType, opts.signal)
    } catch (err) {
      throw wrapError(`push manifest ${ref} to ${repo.name}`, err)
    }
  }
}
