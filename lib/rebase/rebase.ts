/** `lading rebase` for one image (cnb-spec.md §6): an image manifest, or an index rebased child
 * by child with a new index on top. Uploads the new config blobs and manifests only; new base
 * layers are mounted (same registry) or copied (another registry). Tags move last, so a failure
 * leaves them where they were. `dryRun` plans the same way and writes nothing.
 */
import { sha256, type Digest } from '../digest/index.js'
import { encodeJson, formatPlatform, isAttestation, isIndex, parseReference, type Descriptor, type ImageIndex, type ImageManifest,
  type Parsed, type Repository, type TransferEvent } from '../oci/index.js'
import type { ParseImageName } from '../platform/index.js'
import { TransferLedger } from '../remote/index.js'
import { planImageRebase, type BaseSide, type ImagePlan, type PlanOptions } from './plan.js'
import { pushRebased } from './push.js'
import type { RunImageCache } from './run-images.js'
import { definedOnly } from '../defined.js'

/** The app image to rebase. */
export interface RebaseTarget {
  repo: Repository
  /** Tag or digest to read. */
  identifier: string
  /** Tags to point at the result (none when the image was named by digest). */
  tags: string[]
  display: string
  /** Registry host ('' for an OCI layout). */
  registry: string
}

/** Options shared by every image of a rebase run. */
export interface RebaseOptions {
  runImages: RunImageCache
  runImage?: string
  force?: boolean
  dryRun?: boolean
  onProgress?: (e: TransferEvent) => void
  signal?: AbortSignal
}

/** What happened to one platform's image. */
export interface BaseChange {
  platform: string
  upToDate: boolean
  old: BaseSide
  new: BaseSide & { name: string }
}

/** The outcome of rebasing one image (or index). */
export interface RebaseResult {
  image: string
  /** `would-rebase` is a dry run that found work to do. */
  status: 'rebased' | 'up-to-date' | 'would-rebase'
  oldDigest: Digest
  /** Digest of the rebased manifest or index (equal to oldDigest when up to date). */
  newDigest: Digest
  bases: BaseChange[]
  /** Bytes uploaded (config blobs and copied base layers) and mounted; in a dry run, what would be. */
  bytes: { uploaded: number; copied: number; mounted: number }
  warnings: string[]
}

/** Parses a run image name for the §6.2 name check; `oci:` layouts compare by their whole name. */
export const parseImageName: ParseImageName = (s) => {
  if (s.startsWith('oci:')) return { registry: 'oci', repository: s.slice(4) }
  const r = parseReference(s)
  return definedOnly({ registry: r.registry, repository: r.repository, tag: r.tag || undefined })
}

function change(p: ImagePlan): BaseChange {
  return { platform: formatPlatform(p.platform), upToDate: !p.next, old: p.old, new: p.new }
}

/**
 * Rebases `target` onto the new run image and returns what happened. Throws RebaseError when the
 * image cannot or must not be rebased (nothing written), or the push's error (tags unmoved).
 */
export async function rebaseImage(target: RebaseTarget, opts: RebaseOptions): Promise<RebaseResult> {
  const plan: PlanOptions = definedOnly({
    runImages: opts.runImages, appRegistry: target.registry, parse: parseImageName,
    runImage: opts.runImage || undefined, force: opts.force || undefined, signal: opts.signal,
  })
  const top = await target.repo.manifests.get(target.identifier, opts.signal)
  if (!isIndex(top)) {
    const p = await planImageRebase(target.repo, top as Parsed<ImageManifest>, target.display, plan)
    return writeImage(target, p, opts)
  }
  const index = top.value as ImageIndex
  const planned = new Map<number, ImagePlan>()
  // Children are independent: read and planned at once (the run image cache shares base reads).
  await Promise.all([...index.manifests.entries()].map(async ([i, d]) => {
    if (isAttestation(d)) return
    const child = await target.repo.manifests.get(d.digest, opts.signal)
    if (isIndex(child)) return // nested indexes are left as they are
    const where = `${target.display} (${d.platform ? formatPlatform(d.platform) : d.digest})`
    planned.set(i, await planImageRebase(target.repo, child as Parsed<ImageManifest>, where, plan))
  }))
  // In index order, whatever order the reads finished in: the result lists bases in that order.
  const plans = new Map([...planned.entries()].sort(([a], [b]) => a - b))
  return writeIndex(target, top as Parsed<ImageIndex>, plans, opts)
}

function sum(plans: Iterable<ImagePlan>): RebaseResult['bytes'] {
  const b = { uploaded: 0, copied: 0, mounted: 0 }
  for (const p of plans) {
    b.uploaded += p.bytes.config + p.bytes.copy
    b.copied += p.bytes.copy
    b.mounted += p.bytes.mount
  }
  return b
}

function fromLedger(ledger: TransferLedger, copied: number): RebaseResult['bytes'] {
  return { uploaded: ledger.totals.bytesUploaded, copied, mounted: ledger.totals.bytesMounted }
}

async function writeImage(target: RebaseTarget, p: ImagePlan, opts: RebaseOptions): Promise<RebaseResult> {
  const base = { image: target.display, oldDigest: p.oldDigest, bases: [change(p)], warnings: p.warnings }
  if (!p.next) return { ...base, status: 'up-to-date', newDigest: p.oldDigest, bytes: { uploaded: 0, copied: 0, mounted: 0 } }
  const newDigest = await p.next.digest()
  if (opts.dryRun) return { ...base, status: 'would-rebase', newDigest, bytes: sum([p]) }
  const ledger = new TransferLedger()
  await pushRebased(target.repo, p, target.tags, pushOptions(opts, ledger))
  return { ...base, status: 'rebased', newDigest, bytes: fromLedger(ledger, p.bytes.copy) }
}

function pushOptions(opts: RebaseOptions, ledger: TransferLedger) {
  return {
    held: opts.runImages.held,
    hints: opts.runImages.hints,
    onProgress: (ev: TransferEvent) => {
      ledger.record(ev)
      opts.onProgress?.(ev)
    },
    signal: opts.signal,
  }
}

async function writeIndex(target: RebaseTarget, top: Parsed<ImageIndex>, plans: Map<number, ImagePlan>, opts: RebaseOptions): Promise<RebaseResult> {
  const all = [...plans.values()]
  const warnings = all.flatMap((p) => p.warnings)
  const base = { image: target.display, oldDigest: top.descriptor.digest, bases: all.map(change), warnings }
  if (all.every((p) => !p.next)) {
    return { ...base, status: 'up-to-date', newDigest: top.descriptor.digest, bytes: { uploaded: 0, copied: 0, mounted: 0 } }
  }
  const manifests: Descriptor[] = []
  for (const [i, d] of top.value.manifests.entries()) {
    const next = plans.get(i)?.next
    manifests.push(next ? { ...d, ...(await next.descriptor()), ...(d.platform ? { platform: d.platform } : {}), ...(d.annotations ? { annotations: d.annotations } : {}) } : d)
  }
  const bytes = encodeJson({ ...top.value, manifests })
  const mediaType = top.descriptor.mediaType
  const newDigest = sha256(bytes)
  if (opts.dryRun) return { ...base, status: 'would-rebase', newDigest, bytes: sum(all) }
  const ledger = new TransferLedger()
  // Children by digest first (each one's config before its manifest), the index by digest, then the tags.
  const pushed = new Set<string>()
  for (const p of all) {
    if (!p.next || pushed.has(await p.next.digest())) continue
    pushed.add(await p.next.digest())
    await pushRebased(target.repo, p, [], pushOptions(opts, ledger))
  }
  // One tag: a single PUT moves it or not. More: by digest first, so a failure leaves tags whole.
  const refs = target.tags.length === 1 ? target.tags : [newDigest, ...target.tags]
  for (const ref of refs) await target.repo.manifests.put(ref, bytes, mediaType, opts.signal)
  const copied = all.reduce((n, p) => n + p.bytes.copy, 0)
  return { ...base, status: 'rebased', newDigest, bytes: fromLedger(ledger, copied) }
}
