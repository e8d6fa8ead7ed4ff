import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join, posix } from 'node:path'
import { pipeline } from 'node:stream/promises'
import tar from 'tar-stream'
import { escapeId } from '../buildpack/index.js'
import { digestHex } from '../digest/index.js'
import type { Image } from '../image/index.js'
import type { Built } from './build-phase.js'
import { CNB_PATHS } from './build-context.js'
import { PhaseError } from './errors.js'
import type { BuildDirs } from './workspace.js'

/**
 * Fails the export (exit 64) when the image's default process names a command that exists
 * nowhere: not in a launch layer's bin/, not in the app, not in the run image. A typo there
 * would otherwise only show when the container starts. The run image's file list is read once
 * per run image digest and kept in `indexDir`.
 */
export async function checkDefaultProcess(built: Built, type: string | undefined, dirs: BuildDirs, runImage: Image, indexDir: string): Promise<void> {
  const proc = built.processes.find((p) => p.type === type)
  const exe = proc?.command[0]
  if (!proc || !exe) return
  const env = new Map(((await runImage.config()).config?.Env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)] as const))
  const runPath = (env.get('PATH') ?? '/usr/local/bin:/usr/bin:/bin').split(':').filter(Boolean)
  const layerBins = built.outcomes.flatMap(({ bp, outcome }) => outcome.layers.filter((l) => l.types.launch)
    .map((l) => ({ host: join(l.dir, 'bin'), image: `${CNB_PATHS.layers}/${escapeId(bp.id)}/${l.name}/bin` })))
  const candidates = exe.includes('/')
    ? [posix.resolve(proc.workingDir ?? CNB_PATHS.workspace, exe)]
    : [...layerBins.map((b) => `${b.image}/${exe}`), ...runPath.map((d) => posix.join(d, exe))]
  for (const c of candidates) if (await existsInBuild(c, dirs, layerBins)) return
  const files = await runImageFiles(runImage, indexDir)
  if (candidates.some((c) => files.has(c.replace(/^\//, '')))) return
  throw new PhaseError('export', 'EXPORT_DEFAULT_PROCESS_MISSING', `the default process ${JSON.stringify(proc.type)} of buildpack ${proc.buildpackId} runs ${JSON.stringify(exe)}, which is not in any launch layer, the app or the run image`)
}

async function existsInBuild(imagePath: string, dirs: BuildDirs, bins: { host: string; image: string }[]): Promise<boolean> {
  let host: string | undefined
  if (imagePath.startsWith(`${CNB_PATHS.workspace}/`)) host = join(dirs.workspace, imagePath.slice(CNB_PATHS.workspace.length))
  else if (imagePath.startsWith(`${CNB_PATHS.layers}/`)) host = join(dirs.layers, imagePath.slice(CNB_PATHS.layers.length))
  for (const b of bins) if (imagePath.startsWith(`${b.image}/`)) host = join(b.host, imagePath.slice(b.image.length))
  return host !== undefined && (await stat(host).catch(() => undefined)) !== undefined
}

/** Paths (no leading /) of every entry in the run image's layers; cached by manifest digest. */
async function runImageFiles(image: Image, indexDir: string): Promise<Set<string>> {
  const file = join(indexDir, `${digestHex(await image.digest())}.json`)
  const cached = await readFile(file, 'utf8').catch(() => undefined)
  if (cached) return new Set(JSON.parse(cached) as string[])
  const names = new Set<string>()
  for (const layer of await image.layers()) {
    const extract = tar.extract()
    extract.on('entry', (h, stream, next) => {
      names.add(h.name.replace(/^\.?\//, '').replace(/\/$/, ''))
      stream.on('end', next)
      stream.resume()
    })
    // Best effort: a layer that ends early (some tools omit the tar footer) still lists what it holds.
    await pipeline(await layer.uncompressed(), extract).catch(() => {})
  }
  await mkdir(indexDir, { recursive: true })
  await writeFile(file, JSON.stringify([...names]))
  return names
}
