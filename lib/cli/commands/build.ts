// `lading build`: source to a published app image with buildpacks; flags become a lifecycle BuildRequest.
import { writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { expectPositionals } from '../args.js'
import type { Command } from '../command.js'
import { formatBytes } from '../output.js'
import { createImage, type BuildEvents, type BuildResult } from '../../lifecycle/index.js'
import { stringifyReport } from '../../platform/index.js'
import { buildRequestFromFlags, type PreparedBuild } from '../build-request.js'
import type { CommandContext } from '../context.js'

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
  --network MODE           host (default; pack's default and bridge mean the same): buildpacks
                           use this machine's network; none: they get only a private loopback
  --report FILE            write report.toml
  --concurrency N          uploads in flight (default 4)

Examples:
  lading build registry.example.com/team/app:1 --path . --run-image registry.example.com/base/run:jammy
  lading build oci:./out:app --path ./app --buildpack ./buildpacks/node --run-image oci:./base:run`,
  transport: 'undici',
  options: {
    path: { type: 'string' }, builder: { type: 'string' }, buildpack: { type: 'string', multiple: true }, 'buildpacks-dir': { type: 'string' },
    order: { type: 'string' }, 'run-image': { type: 'string' }, 'run-image-mirror': { type: 'string', multiple: true }, 'build-image': { type: 'string' },
    env: { type: 'string', multiple: true }, 'env-file': { type: 'string', multiple: true },
    'cache-image': { type: 'string' }, 'cache-dir': { type: 'string' }, 'clear-cache': { type: 'boolean' },
    'previous-image': { type: 'string' }, tag: { type: 'string', multiple: true }, launcher: { type: 'string' },
    'process-type': { type: 'string' }, 'no-sandbox': { type: 'boolean' }, network: { type: 'string' },
    report: { type: 'string' }, concurrency: { type: 'string' },
  },
  async run(ctx, args) {
    const [imageArg] = expectPositionals(args, 'build', ['IMAGE'])
    const prepared = await buildRequestFromFlags(ctx, args, imageArg!)
    const started = Date.now()
    const result = await createImage(prepared.request, buildEvents(ctx))
    await reportBuild(ctx, args.values.report as string | undefined, result, prepared, started)
    return 0
  },
}

/** The phases' progress, as pack prints it. */
function buildEvents(ctx: CommandContext): BuildEvents {
  return {
    phase: (name) => ctx.out.info(`===> ${name.toUpperCase()}`),
    info: (line) => ctx.out.info(line),
    warn: (line) => ctx.out.warn(line),
    output: (chunk) => ctx.out.info(chunk.replace(/\n$/, '')),
    transfer: ctx.out.progress,
  }
}

/** report.toml (--report), then the result: JSON with --json, else a summary and the digest. */
async function reportBuild(ctx: CommandContext, reportFile: string | undefined, result: BuildResult, { builder, fetched }: PreparedBuild, started: number): Promise<void> {
  if (reportFile) {
    await writeFile(resolve(reportFile), stringifyReport({ image: { tags: result.tags, digest: result.image.digest, manifestSize: result.image.size } }))
  }
  if (ctx.flags.json) {
    const net = ctx.registryStats()
    // JSON.stringify leaves out what is undefined: no registry stats for a layout-only build,
    // no buildpackLayers when nothing was fetched for it.
    ctx.out.data(`${JSON.stringify({
      ...result, digest: result.image.digest, requests: net?.requests, bytesDownloaded: net?.bytesDownloaded,
      buildpackLayers: builder || fetched.layers.length ? fetched : undefined, ms: Date.now() - started,
    })}\n`)
  } else {
    const t = result.transfer
    ctx.out.info(`reused ${result.reused.length} layer(s) from the previous image; uploaded ${formatBytes(t.bytesUploaded)}, mounted ${t.blobsMounted}, already present ${t.blobsExisting}`)
    for (const tag of result.tags) ctx.out.info(`wrote ${tag}`)
    ctx.out.data(`${result.image.digest}\n`)
  }
}
