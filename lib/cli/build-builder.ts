/** `lading build --builder REF` and the buildpack forms that need a registry or a builder
 * (`docker://REF`, a plain reference, a `.cnb` file, `urn:cnb:builder:ID[@VERSION]`): the builder's
 * root filesystem (unpacked once, without its buildpack layers), its env files, its run images,
 * and exactly the buildpack layers the build uses, each kept unpacked by diffID.
 */
import { join } from 'node:path'
import type { CommandContext } from './context.js'
import { openImage, sourceContext } from './distribution-io.js'
import { ladingCacheDir } from './env.js'
import type { BuildpackStore, OrderInput, OrderRef } from '../buildpack/index.js'
import type { Platform } from '../oci/index.js'
import { unpackBuildImage, type BuildImage } from '../lifecycle/index.js'
import {
  builderEnv, builderRunImages, fetchModules, moduleSetFromPackage, pickVersion, readBuilderForBuild, readDistributionImage, resolveOrder,
  DistributionError, type BuilderForBuild, type ModuleFetchStats, type RunImageJson,
} from '../distribution/index.js'
import { UsageError } from './args.js'
import { definedOnly } from '../defined.js'

/** A builder opened for a build; buildpacks are fetched only when the build asks for them. */
export interface OpenedBuilder {
  ref: string
  digest: string
  plan: BuilderForBuild
  rootfs: BuildImage
  runImages: RunImageJson[]
  platformEnv: Record<string, string>
  buildConfigEnvDir?: string
  stats: ModuleFetchStats
}

const emptyStats = (): ModuleFetchStats => ({ layersFetched: 0, bytesFetched: 0, layersCached: 0, layers: [] })

function addStats(into: ModuleFetchStats, s: ModuleFetchStats): void {
  into.layersFetched += s.layersFetched
  into.bytesFetched += s.bytesFetched
  into.layersCached += s.layersCached
  into.layers.push(...s.layers)
}

/** Reads the builder's labels and unpacks its root filesystem (minus buildpack layers). */
export async function openBuilder(ctx: CommandContext, ref: string, platform: Platform): Promise<OpenedBuilder> {
  const t = await ctx.target(ref.replace(/^docker:\/\//, ''))
  const image = await openImage(ctx, ref)
  const plan = await readBuilderForBuild(image, t.display)
  const rootfs = await unpackBuildImage({ repo: t.repo, identifier: t.identifier, display: t.display }, join(ladingCacheDir(), 'rootfs'), platform,
    definedOnly({ image, skipDiffIds: plan.buildpackDiffIds, signal: ctx.signal }))
  const env = await builderEnv(rootfs.rootfs)
  return { ref: t.display, digest: await image.digest(), plan, rootfs, runImages: await builderRunImages(plan.builder, rootfs.rootfs), ...env, stats: emptyStats() }
}

/** Fetches every buildpack the builder's order reaches into `store`; returns the order. */
export async function useBuilderOrder(b: OpenedBuilder, store: BuildpackStore): Promise<OrderInput> {
  const { stats } = await fetchModules(b.plan.builder, b.plan.modules, join(ladingCacheDir(), 'buildpack-layers'), store)
  addStats(b.stats, stats)
  return b.plan.order.map((g) => ({ group: g.group.map((e) => definedOnly({ id: e.id, version: e.version || undefined, optional: e.optional || undefined })) }))
}

/**
 * Resolves a --buildpack value lading's directory/id forms do not cover: `urn:cnb:builder:ID[@V]`
 * (from the builder), `docker://REF`, a registry reference or a `.cnb` file (a buildpackage, its
 * entrypoint joins the group). Returns undefined for forms chooseBuildpacks handles itself.
 */
export async function externalBuildpack(ctx: CommandContext, spec: string, store: BuildpackStore, builder: OpenedBuilder | undefined,
  stats: ModuleFetchStats): Promise<OrderRef | undefined> {
  const urn = /^urn:cnb:builder:(.+)$/.exec(spec)
  if (urn) {
    if (!builder) throw new UsageError(`--buildpack ${spec} takes a buildpack from the builder: pass --builder REF (or set one with 'lading config default-builder REF')`, 'build')
    const at = urn[1]!.lastIndexOf('@')
    const id = at > 0 ? urn[1]!.slice(0, at) : urn[1]!
    const version = pickVersion(builder.plan.builder.layers, id, at > 0 ? urn[1]!.slice(at + 1) : undefined)
    if (!version) throw new DistributionError('ORDER_MISSING_BUILDPACK', builder.ref, `--buildpack ${spec}: the builder has no buildpack ${urn[1]}`)
    const modules = resolveOrder(builder.plan.builder.layers, [{ group: [{ id, version }] }], builder.ref)
    const { stats: s } = await fetchModules(builder.plan.builder, modules, join(ladingCacheDir(), 'buildpack-layers'), store)
    addStats(stats, s)
    return { id, version }
  }
  const isCnb = /\.cnb$/.test(spec)
  const isImage = spec.startsWith('docker://') || (!isCnb && !spec.startsWith('.') && !spec.startsWith('/') && /^[^/]*[.:][^/]*\//.test(spec))
  if (!isCnb && !isImage) return undefined
  const sources = await sourceContext(ctx)
  const image = isCnb ? await sources.openCnb(spec) : await openImage(ctx, spec)
  const d = await readDistributionImage(image, spec, 'buildpackage')
  const set = await moduleSetFromPackage(d)
  const modules = resolveOrder(d.layers, [{ group: [{ id: set.top.id, version: set.top.version }] }], spec)
  const { stats: s } = await fetchModules(d, modules, join(ladingCacheDir(), 'buildpack-layers'), store)
  addStats(stats, s)
  return { id: set.top.id, version: set.top.version }
}

/** The message a build without any buildpack source gets. */
export const NO_BUILDPACKS = "no buildpacks: pass --builder REF (or set a default once with 'lading config default-builder REF'), or --run-image REF with --buildpack DIR|ID[@VERSION]|docker://REF|FILE.cnb (repeatable), --order FILE, or buildpacks listed in the app's project.toml"
