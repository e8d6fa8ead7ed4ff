/** The export's check that the default process's command exists in the image (lading's own; the lifecycle has none). */
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

/** Words a POSIX shell runs without a lookup (special and regular builtins, reserved words). */
const SHELL_WORDS = new Set(('! { } case do done elif else esac fi for if in then until while . : break continue eval exec exit ' +
  'export readonly return set shift times trap unset alias bg cd command false fc fg getopts hash jobs kill newgrp pwd read ' +
  'true type ulimit umask unalias wait echo printf test [ source local').split(' '))

/**
 * The word to look up for a process, or undefined where nothing can be checked. A direct
 * process runs command[0]. A shell process (direct=false) is a command line: its first word,
 * unless that is a builtin or reserved word, or holds anything the shell expands or parses
 * (`$`, quotes, `=`, redirections...), or the app's profiles may still change PATH.
 */
function commandWord(proc: Built['processes'][number], hasProfiles: boolean): string | undefined {
  if (proc.direct) return proc.command[0] || undefined
  if (hasProfiles) return undefined
  const word = proc.command.join(' ').trim().split(/\s+/)[0] ?? ''
  if (word === '' || SHELL_WORDS.has(word) || /[^A-Za-z0-9_./@%+,:-]/.test(word)) return undefined
  return word
}

/** Dirs a launch layer's env files may add to PATH (env/, env.launch/, env.launch/<type>/). */
async function envPathDirs(layerDir: string, type: string): Promise<string[]> {
  const dirs: string[] = []
  for (const envDir of ['env', 'env.launch', `env.launch/${type}`]) {
    const delim = (await readFile(join(layerDir, envDir, 'PATH.delim'), 'utf8').catch(() => undefined)) ?? ':'
    for (const suffix of ['', '.override', '.prepend', '.append', '.default']) {
      const v = await readFile(join(layerDir, envDir, `PATH${suffix}`), 'utf8').catch(() => undefined)
      if (v !== undefined) dirs.push(...v.split(delim).filter(Boolean))
    }
  }
  return dirs
}

const exists = (p: string) => stat(p).then(() => true, () => false)

/**
 * Fails the export (exit 64) when the image's default process names a command that exists
 * nowhere: not in a launch layer's bin/ or a PATH dir its env files add, not in the app, not in
 * the run image. A typo there would otherwise only show when the container starts. The
 * lifecycle has no such check, so this one must never reject a working image: it checks nothing
 * when a launch layer has exec.d programs (they may set PATH), and for shell processes it checks
 * only a plain first word when no profile script exists. The run image's file list is read once
 * per run image digest and kept in `indexDir`.
 */
export async function checkDefaultProcess(built: Built, type: string | undefined, dirs: BuildDirs, runImage: Image, indexDir: string): Promise<void> {
  const proc = built.processes.find((p) => p.type === type)
  if (!proc) return
  const launchLayers = built.outcomes.flatMap(({ bp, outcome }) => outcome.layers.filter((l) => l.types.launch).map((l) => ({ bp, l })))
  const layerHas = async (rel: string) => (await Promise.all(launchLayers.map(({ l }) => exists(join(l.dir, rel))))).some(Boolean)
  if (await layerHas('exec.d')) return
  const exe = commandWord(proc, !proc.direct && ((await layerHas('profile.d')) || (await exists(join(dirs.workspace, '.profile')))))
  if (!exe) return
  const env = new Map(((await runImage.config()).config?.Env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)] as const))
  const runPath = (env.get('PATH') ?? '/usr/local/bin:/usr/bin:/bin').split(':').filter(Boolean)
  const layerBins = launchLayers.map(({ bp, l }) => ({ host: join(l.dir, 'bin'), image: `${CNB_PATHS.layers}/${escapeId(bp.id)}/${l.name}/bin` }))
  const envDirs = (await Promise.all(launchLayers.map(({ l }) => envPathDirs(l.dir, proc.type)))).flat()
  const candidates = exe.includes('/')
    ? [posix.resolve(proc.workingDir ?? CNB_PATHS.workspace, exe)]
    : [...layerBins.map((b) => `${b.image}/${exe}`), ...[...envDirs, ...runPath].map((d) => posix.join(d, exe))]
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
