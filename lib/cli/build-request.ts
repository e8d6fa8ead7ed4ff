/** `lading build`'s flags (with project.toml and the builder) turned into the lifecycle's BuildRequest, in one place. */
import { createHash } from 'node:crypto'
import { join, resolve } from 'node:path'
import { UsageError, networkOn, type ParsedArgs } from './args.js'
import type { CommandContext } from './context.js'
import { chooseBuildpacks, parseBuildEnv } from './build-inputs.js'
import { unpackBuildImage, CNB_PATHS, type BuildRequest, type ImageTarget } from '../lifecycle/index.js'
import { type BuildCache, imageCache, dirCache } from '../cache/index.js'
import { hostPlatform, parseReference, type Platform } from '../oci/index.js'
import { createBuildpackStore } from '../buildpack/index.js'
import type { ModuleFetchStats } from '../distribution/index.js'
import { pickReadable, readProjectFile, readProjectMetadataFile } from '../platform/index.js'
import { parseConcurrency } from './commands/copy.js'
import { externalBuildpack, openBuilder, useBuilderOrder, NO_BUILDPACKS, type OpenedBuilder } from './build-builder.js'
import { readSettings } from './settings.js'
import { definedOnly } from '../defined.js'
import { ladingCacheDir } from './env.js'

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
const EPOCH = new Date('1980-01-01T00:00:01Z')

/** A build ready to run, and what its report needs besides the result. */
export interface PreparedBuild {
  request: BuildRequest
  builder?: OpenedBuilder
  /** Buildpack layers fetched for this build (from the builder or buildpackages); grows while it runs. */
  fetched: ModuleFetchStats
}

/**
 * Resolves everything a build needs from its flags, in this order: the app and its project.toml,
 * the builder, the buildpacks and env, the targets, the run image (or a mirror), the previous
 * image, the cache, and the build image. Usage errors come before any network work they can.
 */
export async function buildRequestFromFlags(ctx: CommandContext, args: ParsedArgs, imageArg: string): Promise<PreparedBuild> {
  const v = args.values
  const str = (k: string): string | undefined => v[k] as string | undefined
  const list = (k: string): string[] => (v[k] as string[] | undefined) ?? []
  if (str('cache-image') && str('cache-dir')) throw new UsageError('--cache-image and --cache-dir exclude each other', 'build')
  const launcher = str('launcher') ?? 'sh'
  if (launcher !== 'sh' && launcher !== 'none') throw new UsageError(`--launcher must be sh or none, got ${JSON.stringify(launcher)}`, 'build')
  const appDir = resolve(str('path') ?? '.')
  const project = await readProjectFile(join(appDir, 'project.toml'))
  project?.warnings.forEach((w) => ctx.out.warn(`project.toml: ${w}`))
  const platform = hostPlatform()

  // The builder and the buildpacks.
  const named = list('buildpack').length > 0 || Boolean(str('order') || project?.buildpacks.length)
  const builder = await builderFor(ctx, str('builder'), list('buildpack'), Boolean(str('order') || project?.buildpacks.length), platform)
  const fetched = builder?.stats ?? { layersFetched: 0, bytesFetched: 0, layersCached: 0, layers: [] }
  if (!builder && !str('run-image')) throw new UsageError(named ? '--run-image REF is required (or build with --builder REF)' : NO_BUILDPACKS, 'build')
  const choiceStore = createBuildpackStore()
  const choice = await chooseBuildpacks(definedOnly({
    buildpacks: list('buildpack'), appDir, onSkipped: (m: string) => ctx.out.debug(m),
    buildpacksDir: str('buildpacks-dir') || undefined, orderFile: str('order') || undefined, project,
    scratchDir: () => ctx.scratchDir(), external: (spec: string, store: typeof choiceStore) => externalBuildpack(ctx, spec, store, builder, fetched),
    noneMessage: NO_BUILDPACKS,
    builderOrder: builder ? () => useBuilderOrder(builder, choiceStore) : undefined, store: builder ? choiceStore : undefined,
  }))
  const env = { ...builder?.platformEnv, ...project?.env, ...await parseBuildEnv(list('env'), list('env-file')) }

  // Where the image goes, what it is built on, and what it reuses.
  const targets = [await imageTarget(ctx, imageArg)]
  for (const t of list('tag')) targets.push(await imageTarget(ctx, t))
  const runFromBuilder = !str('run-image') && builder?.runImages[0]
  if (!str('run-image') && !runFromBuilder) throw new UsageError(builder ? `the builder ${builder.ref} names no run image: pass --run-image REF` : '--run-image REF is required (or build with --builder REF)', 'build')
  const runName = str('run-image') ?? builder!.runImages[0]!.image
  const mirrors = runFromBuilder ? builder!.runImages[0]!.mirrors ?? [] : list('run-image-mirror')
  const run = await ctx.target(await chooseRunImage(ctx, [runName, ...mirrors], targets[0]!))
  const previous = await ctx.target(str('previous-image') ?? imageArg)
  const cache = await openCache(ctx, args, targets[0]!)
  const buildImage = str('build-image')
    ? await unpackBuildImage(await ctx.target(str('build-image')!), join(ladingCacheDir(), 'rootfs'), platform,
      definedOnly({ signal: ctx.runtime.signal, onWarning: (w: string) => ctx.out.warn(`build image: ${w}`) }))
    : builder?.rootfs
  const sandbox = !v['no-sandbox']

  const request: BuildRequest = definedOnly({
    targets, appDir, appFilter: definedOnly({ include: project?.include, exclude: project?.exclude }),
    order: choice.order, store: choice.store,
    run: { repo: run.repo, identifier: run.identifier, display: run.display, name: canonicalName(runName), mirrors: mirrors.map(canonicalName) },
    buildConfigEnvDir: builder?.buildConfigEnvDir || undefined,
    previous: { repo: previous.repo, identifier: previous.identifier, display: previous.display },
    cache, clearCache: Boolean(v['clear-cache']), platformEnv: env, launcher, sandbox,
    network: networkOn(v), buildPath: buildImage?.path ?? DEFAULT_PATH, uid: buildImage?.uid ?? 1000, gid: buildImage?.gid ?? 1000,
    rootfs: buildImage?.rootfs, processType: str('process-type') || undefined,
    created: EPOCH, project: await readProjectMetadataFile(join(appDir, 'project-metadata.toml')).catch(() => ({})), platform,
    concurrency: parseConcurrency(v.concurrency), indexDir: join(ladingCacheDir(), 'run-index'),
    stashDir: cache && stashDirFor(cache),
    hidden: ctx.runtime.secretPaths ?? [], signal: ctx.runtime.signal,
    // --no-sandbox: buildpacks run in the CNB paths of this machine (a CI image), not a temp dir.
    dirs: sandbox ? undefined : { root: '/', workspace: CNB_PATHS.workspace, layers: CNB_PATHS.layers, platform: CNB_PATHS.platform },
  })
  return definedOnly({ request, builder, fetched })
}

/** One stash per cache: cached layer dirs kept on this machine, restored by a rename. */
function stashDirFor(cache: BuildCache): string {
  return join(ladingCacheDir(), 'stash', createHash('sha256').update(cache.describe()).digest('hex').slice(0, 16))
}

/**
 * The builder a build uses: --builder, else the default builder when nothing else names
 * buildpacks (or a --buildpack needs one: `urn:cnb:builder:`, `from=builder`).
 */
async function builderFor(ctx: CommandContext, flag: string | undefined, buildpacks: string[], named: boolean, platform: Platform): Promise<OpenedBuilder | undefined> {
  const needs = buildpacks.some((b) => b === 'from=builder' || b.startsWith('urn:cnb:builder:'))
  const ref = flag ?? (needs || (!named && buildpacks.length === 0) ? (await readSettings())['default-builder'] : undefined)
  if (!ref) return undefined
  if (!flag) ctx.out.info(`using the default builder ${ref}`)
  return openBuilder(ctx, ref, platform)
}

async function imageTarget(ctx: CommandContext, arg: string): Promise<ImageTarget> {
  const t = await ctx.target(arg, { create: true })
  // A layout's repo name is `oci:DIR` as written (stripping `:TAG` from `arg` breaks `oci:DIR` without a tag).
  const base = t.ref ? t.ref.name() : t.repo.name
  return { repo: t.repo, tags: t.tags, display: t.display, refs: t.tags.map((tag) => `${base}:${tag}`) }
}

async function openCache(ctx: CommandContext, args: ParsedArgs, target: ImageTarget): Promise<BuildCache | undefined> {
  const dir = args.values['cache-dir'] as string | undefined
  if (dir) return dirCache(resolve(dir))
  const ref = args.values['cache-image'] as string | undefined
  if (!ref) return undefined
  const t = await ctx.target(ref, { create: true })
  return imageCache({ repo: t.repo, tag: t.tags[0] ?? t.identifier, display: t.display, mountFrom: [target.repo.name] })
}

/**
 * The run image to build on, among --run-image and its mirrors (cnb-spec.md §9.3): a readable one
 * in the app image's registry first (its layers are then mounted, never copied), else the first
 * readable one. Readable = its manifest answers a HEAD.
 */
async function chooseRunImage(ctx: CommandContext, names: string[], target: ImageTarget): Promise<string> {
  if (names.length === 1) return names[0]!
  const registryOf = (n: string): string => n.startsWith('oci:') ? 'oci' : parseReference(n).registry
  const appRegistry = target.repo.name.startsWith('oci:') ? 'oci' : target.repo.name.split('/')[0]!
  return pickReadable(names, appRegistry, (n) => ({ registry: registryOf(n), repository: n }), async (n) => {
    const t = await ctx.target(n)
    return (await t.repo.manifests.resolve(t.identifier).catch(() => undefined)) !== undefined
  })
}

/** The canonical form recorded in the label (`registry/repo:tag`), or the layout reference as given. */
function canonicalName(name: string): string {
  return name.startsWith('oci:') ? name : parseReference(name).toString()
}
