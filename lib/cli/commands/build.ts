import { createHash } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { expectPositionals, UsageError, type ParsedArgs } from '../args.js'
import type { Command } from '../command.js'
import type { CommandContext } from '../context.js'
import { chooseBuildpacks, parseBuildEnv } from '../build-inputs.js'
import { formatBytes } from '../output.js'
import { createImage, unpackBuildImage, CNB_PATHS, type ImageTarget } from '../../lifecycle/index.js'
import { type BuildCache, imageCache, dirCache } from '../../cache/index.js'
import { hostPlatform, parseReference } from '../../oci/index.js'
import { createBuildpackStore } from '../../buildpack/index.js'
import { pickReadable, readProjectFile, readProjectMetadataFile, stringifyReport } from '../../platform/index.js'
import { parseConcurrency } from './copy.js'
import { externalBuildpack, openBuilder, useBuilderOrder, NO_BUILDPACKS, type OpenedBuilder } from '../build-builder.js'
import { readSettings } from '../settings.js'

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
const EPOCH = new Date('1980-01-01T00:00:01Z')

/** `lading build IMAGE`: source to a published image with buildpacks, no daemon. */
export const buildCommand: Command = {
  name: 'build',
  summary: 'Build an app image from source with Cloud Native Buildpacks and publish it',
  usage: 'build IMAGE --path DIR [--builder REF | --run-image REF --buildpack B ...] [flags]',
  help: `Detects which buildpacks apply, runs their bin/detect and bin/build in a rootless sandbox
(bubblewrap), and writes the layers they make as an image on the run image: to a registry
(IMAGE = registry reference) or an OCI layout (IMAGE = oci:DIR[:TAG]). Unchanged layers of
the previous image are reused by digest and never uploaded again.

Without --buildpack or --order, the group comes from the app's project.toml: buildpacks by id,
by uri (relative to the app), or inline ([io.buildpacks.group.script] api, inline, shell).
Its pre and post groups wrap every group, whichever order is used; its build env applies.

With --builder REF (registry or oci:DIR[:TAG]; or the default set with 'lading config
default-builder REF' when nothing names buildpacks), the order, buildpacks, run image, build
env and build user come from the builder, and buildpacks run on its root filesystem. Only the
buildpack layers the build uses are fetched, each kept unpacked by digest.

Flags:
  --path DIR               the app source (default: .)
  --builder REF            a builder image (pack's or lading's)
  --buildpack B            a buildpack (repeatable; forms the group, in order): a dir, ID[@VERSION],
                           a buildpackage (docker://REF, a registry reference, FILE.cnb),
                           urn:cnb:builder:ID[@VERSION], or from=builder (the builder's order)
  --buildpacks-dir DIR     where ID[@VERSION] buildpacks are found
  --order FILE             an order.toml (when no --buildpack is given)
  --run-image REF          the base of the app image (default: the builder's; else required)
  --run-image-mirror REF   another name of the same run image (repeatable); one in IMAGE's
                           registry is used first, so its layers are mounted, not copied
  --build-image REF        the root filesystem buildpacks run in (default: this host's, read-only)
  --env K=V, --env-file F  build-time environment for buildpacks (repeatable)
  --cache-image REF        keep cached layers in an image (registry or oci:DIR)
  --cache-dir DIR          keep cached layers in a directory
  --clear-cache            ignore the cache this time (it is rewritten)
  --previous-image REF     the image to reuse layers from (default: IMAGE)
  --tag REF                another tag to write (repeatable)
  --launcher sh|none       sh: a POSIX-sh launcher (default); none: bake the default process
  --process-type TYPE      the process the image starts by default
  --no-sandbox             run buildpacks directly, in /workspace, /layers, /platform (CI images)
  --network                let buildpacks use the network
  --report FILE            write report.toml
  --concurrency N          uploads in flight (default 4)

Examples:
  lading build registry.example.com/team/app:1 --path . --run-image registry.example.com/base/run:jammy
  lading build oci:./out:app --path ./app --buildpack ./buildpacks/node --run-image oci:./base:run`,
  options: {
    path: { type: 'string' }, builder: { type: 'string' }, buildpack: { type: 'string', multiple: true }, 'buildpacks-dir': { type: 'string' },
    order: { type: 'string' }, 'run-image': { type: 'string' }, 'run-image-mirror': { type: 'string', multiple: true }, 'build-image': { type: 'string' },
    env: { type: 'string', multiple: true }, 'env-file': { type: 'string', multiple: true },
    'cache-image': { type: 'string' }, 'cache-dir': { type: 'string' }, 'clear-cache': { type: 'boolean' },
    'previous-image': { type: 'string' }, tag: { type: 'string', multiple: true }, launcher: { type: 'string' },
    'process-type': { type: 'string' }, 'no-sandbox': { type: 'boolean' }, network: { type: 'boolean' },
    report: { type: 'string' }, concurrency: { type: 'string' },
  },
  async run(ctx, args) {
    const [imageArg] = expectPositionals(args, 'build', ['IMAGE'])
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
    const builder = await builderFor(ctx, str('builder'), list('buildpack'), Boolean(str('order') || project?.buildpacks.length), platform)
    const fetched = builder?.stats ?? { layersFetched: 0, bytesFetched: 0, layersCached: 0, layers: [] }
    const named = list('buildpack').length > 0 || Boolean(str('order') || project?.buildpacks.length)
    if (!builder && !str('run-image')) throw new UsageError(named ? '--run-image REF is required (or build with --builder REF)' : NO_BUILDPACKS, 'build')
    const choiceStore = createBuildpackStore()
    const choice = await chooseBuildpacks({ buildpacks: list('buildpack'), appDir, onSkipped: (m) => ctx.out.debug(m), ...(str('buildpacks-dir') ? { buildpacksDir: str('buildpacks-dir')! } : {}), ...(str('order') ? { orderFile: str('order')! } : {}), ...(project ? { project } : {}),
      scratchDir: () => ctx.scratchDir(), external: (spec, store) => externalBuildpack(ctx, spec, store, builder, fetched), noneMessage: NO_BUILDPACKS,
      ...(builder ? { builderOrder: () => useBuilderOrder(builder, choiceStore), store: choiceStore } : {}) })
    const env = { ...(builder?.platformEnv ?? {}), ...(project?.env ?? {}), ...await parseBuildEnv(list('env'), list('env-file')) }
    const targets = [await imageTarget(ctx, imageArg!)]
    for (const t of list('tag')) targets.push(await imageTarget(ctx, t))
    const runFromBuilder = !str('run-image') && builder?.runImages[0]
    if (!str('run-image') && !runFromBuilder) throw new UsageError(builder ? `the builder ${builder.ref} names no run image: pass --run-image REF` : '--run-image REF is required (or build with --builder REF)', 'build')
    const runName = str('run-image') ?? builder!.runImages[0]!.image
    const mirrors = runFromBuilder ? builder!.runImages[0]!.mirrors ?? [] : list('run-image-mirror')
    const run = await ctx.target(await chooseRunImage(ctx, [runName, ...mirrors], targets[0]!))
    const previous = await ctx.target(str('previous-image') ?? imageArg!)
    const cache = await openCache(ctx, args, targets[0]!)
    const buildImage = str('build-image')
      ? await unpackBuildImage(await ctx.target(str('build-image')!), join(homedir(), '.cache', 'lading', 'rootfs'), platform,
        { ...(ctx.runtime.signal ? { signal: ctx.runtime.signal } : {}), onWarning: (w) => ctx.out.warn(`build image: ${w}`) })
      : builder?.rootfs
    const sandbox = !v['no-sandbox']
    const started = Date.now()
    const result = await createImage({
      targets, appDir, appFilter: { ...(project?.include ? { include: project.include } : {}), ...(project?.exclude ? { exclude: project.exclude } : {}) },
      order: choice.order, store: choice.store,
      run: { repo: run.repo, identifier: run.identifier, display: run.display, name: canonicalName(runName), mirrors: mirrors.map(canonicalName) },
      ...(builder?.buildConfigEnvDir ? { buildConfigEnvDir: builder.buildConfigEnvDir } : {}),
      previous: { repo: previous.repo, identifier: previous.identifier, display: previous.display },
      ...(cache ? { cache } : {}), clearCache: Boolean(v['clear-cache']), platformEnv: env, launcher, sandbox,
      network: Boolean(v.network), buildPath: buildImage?.path ?? DEFAULT_PATH, uid: buildImage?.uid ?? 1000, gid: buildImage?.gid ?? 1000,
      ...(buildImage ? { rootfs: buildImage.rootfs } : {}), ...(str('process-type') ? { processType: str('process-type')! } : {}),
      created: EPOCH, project: await readProjectMetadataFile(join(appDir, 'project-metadata.toml')).catch(() => ({})), platform,
      concurrency: parseConcurrency(v.concurrency), indexDir: join(homedir(), '.cache', 'lading', 'run-index'),
      // One stash per cache: cached layer dirs kept on this machine, restored by a rename.
      ...(cache ? { stashDir: join(homedir(), '.cache', 'lading', 'stash', createHash('sha256').update(cache.describe()).digest('hex').slice(0, 16)) } : {}),
      hidden: ctx.runtime.secretPaths ?? [], ...(ctx.runtime.signal ? { signal: ctx.runtime.signal } : {}),
      ...(sandbox ? {} : { dirs: { root: '/', workspace: CNB_PATHS.workspace, layers: CNB_PATHS.layers, platform: CNB_PATHS.platform } }),
    }, {
      phase: (name) => ctx.out.info(`===> ${name.toUpperCase()}`),
      info: (line) => ctx.out.info(line),
      warn: (line) => ctx.out.warn(line),
      output: (chunk) => ctx.out.info(chunk.replace(/\n$/, '')),
      transfer: ctx.out.progress,
    })
    if (str('report')) {
      await writeFile(resolve(str('report')!), stringifyReport({ image: { tags: result.tags, digest: result.image.digest, manifestSize: result.image.size } }))
    }
    if (ctx.flags.json) {
      const net = ctx.registryStats()
      const bp = builder || fetched.layers.length ? { buildpackLayers: fetched } : {}
      ctx.out.data(`${JSON.stringify({ ...result, digest: result.image.digest, ...(net ? { requests: net.requests, bytesDownloaded: net.bytesDownloaded } : {}), ...bp, ms: Date.now() - started })}\n`)
    } else {
      const t = result.transfer
      ctx.out.info(`reused ${result.reused.length} layer(s) from the previous image; uploaded ${formatBytes(t.bytesUploaded)}, mounted ${t.blobsMounted}, already present ${t.blobsExisting}`)
      for (const tag of result.tags) ctx.out.info(`wrote ${tag}`)
      ctx.out.data(`${result.image.digest}\n`)
    }
    return 0
  },
}

/**
 * The builder a build uses: --builder, else the default builder when nothing else names
 * buildpacks (or a --buildpack needs one: `urn:cnb:builder:`, `from=builder`).
 */
async function builderFor(ctx: CommandContext, flag: string | undefined, buildpacks: string[], named: boolean, platform: ReturnType<typeof hostPlatform>): Promise<OpenedBuilder | undefined> {
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
