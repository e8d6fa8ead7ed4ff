/** Writes a rebased image with the fewest requests. The app's own layers are never checked (the
 * old manifest in this repository refers to them, so the registry holds them), nor are new base
 * layers this run already mounted there. The new config and the remaining new base layers are
 * either written first (config by POST/PUT without a HEAD; layers mounted, or copied from
 * another registry) or, where the registry names what a manifest lacks, left for the manifest
 * PUT to ask about: then blobs already there cost nothing (PushHints picks, from what earlier
 * images of the run showed). The manifest goes by tag when there is exactly one tag, since one
 * PUT either moves it or not, else by digest first and then each tag.
 */
import type { Digest } from '../digest/index.js'
import { wrapError } from '../errors.js'
import type { Descriptor, Repository, TransferEvent } from '../oci/index.js'
import { mountSources, putBlob } from '../remote/index.js'
import type { HeldBlobs } from './held-blobs.js'
import type { ImagePlan } from './plan.js'
import type { PushHints } from './push-hints.js'
import { definedOnly } from '../defined.js'

/** Options of pushRebased. */
export interface PushRebasedOptions {
  /** Blobs known held in this run: skipped, and added to once mounted, uploaded or confirmed. */
  held?: HeldBlobs
  /** What earlier images of the run showed; without it every blob is written first. */
  hints?: PushHints
  onProgress?: (e: TransferEvent) => void
  signal?: AbortSignal
}

/**
 * Pushes `plan.next` (which must be set) into `repo` and points `tags` at it; with no tags the
 * manifest is stored by digest only. Throws the store's error wrapped with what was being pushed.
 */
export async function pushRebased(repo: Repository, plan: ImagePlan, tags: readonly string[], opts: PushRebasedOptions = {}): Promise<void> {
  const next = plan.next!
  const [manifest, layers, config] = await Promise.all([next.manifest(), next.layers(), next.rawConfig()])
  const from = plan.newBase.repo.name
  const mountable = Boolean(repo.blobs.mount) && mountSources([from], repo.name).length > 0
  const pushOpts = definedOnly({ onProgress: opts.onProgress, signal: opts.signal })
  const exists = (d: Descriptor): void => opts.onProgress?.({ digest: d.digest, kind: 'exists', bytes: d.size, total: d.size, done: true })

  const baseLayers = new Map<Digest, number>()
  if (from !== repo.name) {
    for (let i = 0; i < plan.new.layers; i++) {
      const d = manifest.layers[i]!
      if (plan.held.has(d.digest) || opts.held?.has(repo.name, d.digest)) exists(d)
      else baseLayers.set(d.digest, i)
    }
  }
  const writeLayer = async (i: number): Promise<void> => {
    const d = manifest.layers[i]!
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
  }
  const writeConfig = async (): Promise<void> => {
    if (!repo.blobs.putNew) return putBlob(repo, config, manifest.config, {}, pushOpts)
    try {
      await repo.blobs.putNew(config, manifest.config, pushOpts)
    } catch (err) {
      throw wrapError(`push blob ${manifest.config.digest} to ${repo.name}`, err)
    }
  }
  // Blob errors say which blob; they pass through the manifest step unwrapped.
  const blobErrors = new WeakSet<object>()
  const write = async (ds: readonly Digest[]): Promise<void> => {
    try {
      await Promise.all(ds.map((d) => (d === manifest.config.digest ? writeConfig() : writeLayer(baseLayers.get(d)!))))
    } catch (err) {
      if (err && typeof err === 'object') blobErrors.add(err)
      throw err
    }
  }

  // What the manifest PUT may ask about instead of writing it first.
  const ask = repo.manifests.putWithBlobs && opts.hints
  const { askConfig, configHinted } = ask ? decideConfig(repo, plan, manifest.config.digest, opts.hints!) : { askConfig: false, configHinted: false }
  const askLayers = Boolean(ask) && baseLayers.size > 0 && opts.hints!.ask(`layers ${plan.new.reference}`)
  const unsure: Digest[] = [...(askConfig ? [manifest.config.digest] : []), ...(askLayers ? baseLayers.keys() : [])]
  // The sure blobs are written while the manifest PUT's own reads (a HEAD of the config) go out.
  const ready = write([...(askConfig ? [] : [manifest.config.digest]), ...(askLayers ? [] : baseLayers.keys())])
  ready.catch(() => {}) // awaited below, where its failure is thrown; not an unhandled rejection meanwhile
  if (unsure.length === 0) await ready

  const bytes = await next.rawManifest()
  const desc = await next.descriptor()
  const refs = tags.length === 1 ? [tags[0]!] : [desc.digest, ...tags]
  for (const [n, ref] of refs.entries()) {
    try {
      if (n > 0 || unsure.length === 0) {
        await repo.manifests.put(ref, bytes, desc.mediaType, opts.signal)
        continue
      }
      const r = await repo.manifests.putWithBlobs!(ref, bytes, desc.mediaType, definedOnly({ unsure, supply: write, ready, signal: opts.signal }))
      const supplied = new Set(r.supplied)
      for (const d of unsure) if (!supplied.has(d)) exists(d === manifest.config.digest ? manifest.config : manifest.layers[baseLayers.get(d)!]!)
      if (r.asked) {
        const tally = (ds: Digest[]): [number, number] => [ds.filter((d) => !supplied.has(d)).length, ds.filter((d) => supplied.has(d)).length]
        if (askConfig && configHinted) opts.hints!.record('config', ...tally([manifest.config.digest]))
        if (askLayers) opts.hints!.record(`layers ${plan.new.reference}`, ...tally([...baseLayers.keys()]))
      }
    } catch (err) {
      if (err && typeof err === 'object' && blobErrors.has(err)) throw err
      throw wrapError(`push manifest ${ref} to ${repo.name}`, err)
    }
  }
  // The registry took the manifest: it holds every blob the manifest names.
  for (const d of baseLayers.keys()) opts.held?.add(repo.name, d)
}

/**
 * Whether the manifest PUT asks about the new config rather than writing it first. With a local
 * blob cache this machine's history decides: a config it pushed or read before is likely in the
 * repository (a rollback), so it is asked about; a config it has never seen, for an image whose
 * current config it knows, was made by this rebase and is written first, with no probe (the
 * PUT manifest 400 that PushHints' exploration costs every 32nd image). Without a cache, or for
 * an image this machine never saw (another machine may have written its configs), PushHints
 * decides from what the run has shown, and only then is the answer recorded there.
 */
function decideConfig(repo: Repository, plan: ImagePlan, config: Digest, hints: PushHints): { askConfig: boolean; configHinted: boolean } {
  const cached = repo.blobs.cached
  if (cached) {
    if (cached.call(repo.blobs, config)) return { askConfig: true, configHinted: false }
    if (plan.appConfigCached) return { askConfig: false, configHinted: false }
  }
  return { askConfig: hints.ask('config'), configHinted: true }
}
