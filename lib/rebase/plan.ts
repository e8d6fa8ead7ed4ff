/** Plans the rebase of one image manifest (cnb-spec.md §6): read the label, prove the old base,
 * choose and check the new run image, and stitch a new config and manifest. Reads manifests and
 * configs only, never layer bytes; writes nothing (rebase.ts pushes the plan).
 */
import type { Digest } from '../digest/index.js'
import { rebase, type Image } from '../image/index.js'
import type { ImageConfig, ImageManifest, Parsed, Platform, Repository } from '../oci/index.js'
import {
  checkRebase, decodeLifecycleMetadata, encodeLifecycleMetadata, labelRunImageCandidates, LABELS, pickReadable,
  rebasedLabels, rebasedLifecycleMetadata, type LayersMetadata, type ParseImageName,
} from '../platform/index.js'
import { imageFromManifest, mountSources } from '../remote/index.js'
import { RebaseError } from './errors.js'
import type { HeldBlobs } from './held-blobs.js'
import type { RunImage, RunImageCache } from './run-images.js'
import { definedOnly } from '../defined.js'

/** The rebaser's fixed timestamp for `created` and every history entry (§6.3 step 4). */
export const REBASE_CREATED = '1980-01-01T00:00:01Z'

/** What plans need from the caller. */
export interface PlanOptions {
  runImages: RunImageCache
  /** `--run-image`: used instead of the label's image and mirrors. */
  runImage?: string
  force?: boolean
  /** Registry host of the app image ('' for a layout): its run image mirror is preferred. */
  appRegistry: string
  parse: ParseImageName
  /** Stops the app config read (run image reads take the RunImageCache's signal). */
  signal?: AbortSignal
}

/** One side of the swap. */
export interface BaseSide {
  /** `repo@sha256:…` (old: as recorded in the label). */
  reference: string
  digest: string
  /** Number of base layers. */
  layers: number
  topLayer: string
}

/** The plan for one image manifest; `next` is absent when the image is already on the new base. */
export interface ImagePlan {
  display: string
  platform: Platform
  oldDigest: Digest
  old: BaseSide
  new: BaseSide & { name: string }
  newBase: RunImage
  next?: Image
  /** Blobs the app's repository is known to hold: the old manifest's layers and config. */
  held: ReadonlySet<string>
  /** The app's config was in this machine's blob cache before the plan read it: the machine knows this image's history. */
  appConfigCached?: boolean
  /** Bytes that move to write `next`: its config, and base layers copied from another registry. */
  bytes: { config: number; copy: number; mount: number }
  warnings: string[]
}

function readLabel(config: ImageConfig, display: string): LayersMetadata {
  const label = config.config?.Labels?.[LABELS.LIFECYCLE_METADATA]
  if (label === undefined) {
    throw new RebaseError('not-cnb', `${display} is not a Cloud Native Buildpacks image: it has no ${LABELS.LIFECYCLE_METADATA} label (rebase works on images built by lading build or pack)`)
  }
  let md: LayersMetadata
  try {
    md = decodeLifecycleMetadata(label).value
  } catch (err) {
    throw new RebaseError('label', `${display}: ${(err as Error).message}; rebuild the image`, { cause: err })
  }
  if (!/^sha256:[0-9a-f]{64}$/.test(md.runImage.topLayer)) {
    throw new RebaseError('label', `${display}: label ${LABELS.LIFECYCLE_METADATA} has no valid runImage.topLayer (${JSON.stringify(md.runImage.topLayer)}); rebuild the image`)
  }
  return md
}

const digestOf = (reference: string): string => {
  const at = reference.lastIndexOf('@')
  return at < 0 ? '' : reference.slice(at + 1)
}

/** Proves the old base: its top layer is in the image, and the recorded run image (when readable) has exactly the layers below it. */
async function proveOldBase(config: ImageConfig, md: LayersMetadata, platform: Platform, opts: PlanOptions, display: string, warnings: string[]): Promise<number> {
  const ids = config.rootfs.diff_ids
  const keep = ids.indexOf(md.runImage.topLayer as Digest) + 1
  if (keep === 0) {
    throw new RebaseError('old-base', `${display}: the old base's top layer ${md.runImage.topLayer} is not among the image's ${ids.length} layers, so the label does not describe this image; rebuild it`)
  }
  const ref = md.runImage.reference
  if (!ref) {
    warnings.push(`${display}: the label records no run image reference; the old base is proved by its top layer only`)
    return keep
  }
  let recorded: RunImage | undefined
  try {
    recorded = await opts.runImages.recorded(ref, platform)
  } catch (err) {
    throw new RebaseError('old-base', `${display}: cannot read the recorded run image ${ref}: ${(err as Error).message}`, { cause: err })
  }
  if (!recorded) {
    warnings.push(`${display}: recorded run image ${ref} is not reachable; the old base is proved by its top layer only`)
    return keep
  }
  const rd = recorded.config.rootfs.diff_ids
  const bad = rd.length !== keep ? -1 : rd.findIndex((d, i) => d !== ids[i])
  if (rd.length !== keep || bad >= 0) {
    const why = rd.length !== keep ? `it has ${rd.length} layers, the image ${keep} below its top layer` : `layer ${bad} differs`
    throw new RebaseError('old-base', `${display}: the image's base layers do not match the recorded run image ${ref} (${why}); the image or its label was changed after the build, rebuild it`)
  }
  return keep
}

/**
 * A run image read from an OCI layout is recorded by its ref name (or digest) alone, so that the
 * app's digest does not depend on where the layout lives; for an app in a layout such a bare name
 * means an image in the same layout.
 */
export function inAppLayout(candidate: string, appRepo: string): string {
  if (!appRepo.startsWith('oci:') || !candidate || candidate.includes('/') || candidate.startsWith('oci:')) return candidate
  return candidate.startsWith('sha256:') ? `${appRepo}@${candidate}` : `${appRepo}:${candidate}`
}

/** `md` with its run image and mirrors named as `inAppLayout` resolves them (for choosing and for the name check). */
function namedInAppLayout(md: LayersMetadata, appRepo: string): LayersMetadata {
  const r = md.runImage
  return { ...md, runImage: { ...r, image: inAppLayout(r.image, appRepo), mirrors: r.mirrors.map((m) => inAppLayout(m, appRepo)) } }
}

async function chooseRunImage(md: LayersMetadata, platform: Platform, opts: PlanOptions, display: string): Promise<RunImage> {
  let name = opts.runImage
  try {
    name ??= await pickReadable(labelRunImageCandidates(md), opts.appRegistry, opts.parse, (n) => opts.runImages.readable(n))
    return await opts.runImages.resolve(name, platform)
  } catch (err) {
    throw new RebaseError('run-image', `${display}: new run image ${name ?? ''}: ${(err as Error).message}; pass --run-image with a readable image`, { cause: err })
  }
}

/**
 * Returns the rebase plan for the image manifest `parsed` in `repo`. Throws RebaseError: not-cnb
 * (no label), label (malformed), old-base (the proof failed), run-image (none readable), refused
 * (a §6.2 check failed; the message says which and what to do).
 */
export async function planImageRebase(repo: Repository, parsed: Parsed<ImageManifest>, display: string, opts: PlanOptions): Promise<ImagePlan> {
  const app = imageFromManifest(repo, parsed, opts.signal)
  // Asked before the read, which fills the cache.
  const appConfigCached = repo.blobs.cached?.(parsed.value.config.digest) ?? false
  const config = await app.config()
  const md = readLabel(config, display)
  const platform: Platform = definedOnly({ os: config.os ?? '', architecture: config.architecture ?? '', variant: config.variant || undefined })
  const named = namedInAppLayout(md, repo.name)
  const warnings: string[] = []
  // The old base's proof and the new run image are independent reads: both at once.
  // When both fail, the old base's error is the one reported, as when they ran in turn.
  const [oldSide, newSide] = await Promise.allSettled([proveOldBase(config, md, platform, opts, display, warnings), chooseRunImage(named, platform, opts, display)])
  if (oldSide.status === 'rejected') throw oldSide.reason
  if (newSide.status === 'rejected') throw newSide.reason
  const keep = oldSide.value
  const newBase = newSide.value
  const check = checkRebase({ app: config, newBase: newBase.config, force: Boolean(opts.force), nameCheck: { runImageName: newBase.name, metadata: named, parse: opts.parse } })
  warnings.push(...check.warnings.map((w) => `${display}: ${w}`))
  if (check.errors.length) {
    const hint = check.mode === 'target' ? 'fix the run image, or pass --force to rebase anyway' : 'choose a run image with the same stack id and mixins (--force does not apply to legacy images)'
    throw new RebaseError('refused', `cannot rebase ${display} onto ${newBase.name}: ${check.errors.join('; ')}; ${hint}`)
  }
  const nbIds = newBase.config.rootfs.diff_ids
  const ids = config.rootfs.diff_ids
  const plan: ImagePlan = {
    display, platform, oldDigest: parsed.descriptor.digest, newBase, warnings, appConfigCached,
    held: new Set([parsed.value.config.digest, ...parsed.value.layers.map((l) => l.digest)]),
    old: { reference: md.runImage.reference, digest: digestOf(md.runImage.reference), layers: keep, topLayer: md.runImage.topLayer },
    new: { name: newBase.name, reference: newBase.reference, digest: newBase.digest, layers: nbIds.length, topLayer: nbIds.at(-1) ?? '' },
    bytes: { config: 0, copy: 0, mount: 0 },
  }
  const sameLayers = keep === nbIds.length && nbIds.every((d, i) => d === ids[i])
  if (sameLayers && plan.old.digest === newBase.digest) return plan

  const newMd = rebasedLifecycleMetadata(md, plan.new.topLayer, newBase.reference, check.nameMatched === false ? newBase.name : undefined)
  plan.next = await rebase(app, { topLayerDiffId: md.runImage.topLayer as Digest }, newBase.image, (c) => {
    const labels = rebasedLabels(c.config?.Labels, newBase.config.config?.Labels)
    labels[LABELS.LIFECYCLE_METADATA] = encodeLifecycleMetadata(newMd)
    return {
      ...c,
      created: REBASE_CREATED,
      history: c.rootfs.diff_ids.map(() => ({ created: REBASE_CREATED })),
      config: { ...c.config, Labels: labels },
    }
  })
  plan.bytes.config = (await plan.next.rawConfig()).length
  await countBaseBytes(repo, newBase, plan, opts.runImages.held)
  return plan
}

/** New base layers: mounted inside one registry, copied (and counted) from another unless already present. */
async function countBaseBytes(repo: Repository, newBase: RunImage, plan: ImagePlan, held: HeldBlobs): Promise<void> {
  const layers = (await newBase.image.manifest()).layers
  if (newBase.repo.name === repo.name) return
  const mountable = mountSources([newBase.repo.name], repo.name).length > 0
  for (const d of layers) {
    if (plan.held.has(d.digest) || held.has(repo.name, d.digest)) continue
    if (mountable) plan.bytes.mount += d.size
    else if (!(await repo.blobs.stat(d.digest))) plan.bytes.copy += d.size
  }
}
