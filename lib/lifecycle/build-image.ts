// The build image (or a builder) unpacked once per content into a root filesystem buildpacks run on, shared safely by parallel builds.
import { createHash } from 'node:crypto'
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { digestHex } from '../digest/index.js'
import type { Image } from '../image/index.js'
import { wrapError } from '../errors.js'
import { extractLayer, gunzipIfNeeded } from '../layer/index.js'
import { openLayout } from '../layout/index.js'
import type { Platform } from '../oci/index.js'
import { fetchImage } from '../remote/index.js'
import type { ImageSource } from './analyze.js'
import { PhaseError } from './errors.js'
import { processAlive } from '../process-alive.js'

/** An unpacked build image: its root filesystem and what its config says about the build user. */
export interface BuildImage { rootfs: string; uid: number; gid: number; path: string }

/** Options of unpackBuildImage. */
export interface UnpackOptions {
  /** The image, when the caller already has it (else fetched from `src`). */
  image?: Image
  /** Layers (by diffID) to leave out, e.g. a builder's buildpack layers, which are fetched on their own. */
  skipDiffIds?: ReadonlySet<string>
  /** Stops between layers (SIGINT/SIGTERM); the partial tree is removed. */
  signal?: AbortSignal
  /** Told about each dropped special file (device, FIFO, sparse file) by name. */
  onWarning?: (line: string) => void
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

/**
 * Pulls and unpacks the build image under `cacheDir/<manifest digest>` once; later builds reuse
 * the unpacked tree, and layer blobs are cached by digest under `cacheDir/blobs`. Concurrent
 * unpacks of one tree (parallel CI builds) each extract into their own `.partial-PID-N` dir; the
 * first rename wins and the others use its tree. Partial dirs of dead processes are removed
 * first, and ours is removed whatever happens (failure, abort). The build user comes from CNB_USER_ID/CNB_GROUP_ID in its Env (1000:1000
 * when absent), as pack takes it from a builder.
 */
export async function unpackBuildImage(src: ImageSource, cacheDir: string, platform?: Platform, opts: UnpackOptions = {}): Promise<BuildImage> {
  try {
    const image = opts.image ?? await fetchImage(src.repo, src.identifier, platform ? { platform } : {})
    const config = await image.config()
    const env = new Map((config.config?.Env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)] as const))
    const skip = opts.skipDiffIds ?? new Set<string>()
    const all = await image.layers()
    const kept = all.filter((_l, i) => !skip.has(config.rootfs.diff_ids[i]!))
    // Without skipped layers the tree is keyed by what it is made of, so a builder that changed
    // only buildpack layers (which are skipped) reuses the unpacked tree of the previous one.
    const key = skip.size === 0 ? digestHex(await image.digest())
      : `layers-${createHash('sha256').update((await Promise.all(kept.map((l) => l.digest()))).join('\n')).digest('hex')}`
    const rootfs = join(cacheDir, key)
    if (!(await isDir(rootfs))) {
      await removeDeadPartials(cacheDir)
      const partial = `${rootfs}.partial-${process.pid}-${++unpacks}`
      inflight.add(partial)
      try {
        await mkdir(partial, { recursive: true })
        // Layer blobs are kept by digest, so a new build image that shares layers with an older
        // one downloads only what is new.
        const blobs = (await openLayout(join(cacheDir, 'blobs'), { create: true })).blobs
        for (const layer of kept) {
          opts.signal?.throwIfAborted()
          const desc = { digest: await layer.digest(), size: await layer.size(), mediaType: layer.mediaType }
          if (!(await blobs.stat(desc.digest))) await blobs.put(() => layer.compressed(), desc)
          await extractLayer(gunzipIfNeeded(await blobs.open(desc), desc.mediaType), partial, opts.onWarning ? { onWarning: opts.onWarning } : {})
        }
        await rename(partial, rootfs).catch(async (err: NodeJS.ErrnoException) => {
          // another process unpacked the same tree first: its tree is as good as ours
          if (!(await isDir(rootfs))) throw err
        })
      } finally {
        await rm(partial, { recursive: true, force: true })
        inflight.delete(partial)
      }
    }
    return { rootfs, uid: id(env.get('CNB_USER_ID')), gid: id(env.get('CNB_GROUP_ID')), path: env.get('PATH') ?? DEFAULT_PATH }
  } catch (err) {
    throw new PhaseError('analyze', 'ANALYZE_BUILD_IMAGE', wrapError(`build image ${src.display}`, err).message, { cause: err })
  }
}

function id(v: string | undefined): number {
  // Digits only: Number('') and Number(' ') are 0, which would silently make the build user root.
  return v !== undefined && /^\d+$/.test(v) && Number.isSafeInteger(Number(v)) ? Number(v) : 1000
}

let unpacks = 0
// this process's partial dirs being extracted right now (any other one with our pid is a leftover, e.g. of a reused pid)
const inflight = new Set<string>()

async function isDir(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isDirectory() ?? false
}

/** Removes `*.partial-PID[-N]` dirs in `cacheDir` whose process is gone (a crash, kill -9). */
async function removeDeadPartials(cacheDir: string): Promise<void> {
  for (const name of await readdir(cacheDir).catch(() => [] as string[])) {
    const m = /\.partial-(\d+)(?:-\d+)?$/.exec(name)
    const p = join(cacheDir, name)
    if (m && !inflight.has(p) && (Number(m[1]) === process.pid || !processAlive(Number(m[1])))) await rm(p, { recursive: true, force: true })
  }
}

