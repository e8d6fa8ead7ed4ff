// The directories a build works in: creating them, copying the app in (include/exclude), platform env files.
import { copyFile, lstat, mkdir, readdir, readlink, rm, symlink, writeFile, chmod } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import ignore from 'ignore'
import { LadingError } from '../errors.js'

/** The directories one build works in; each is bound at its CNB path for buildpacks. */
export interface BuildDirs {
  root: string
  /** Seen as /workspace: a copy of the app (buildpacks may write to it; the user's tree is never touched). */
  workspace: string
  /** Seen as /layers. */
  layers: string
  /** Seen as /platform (holds env/). */
  platform: string
}

/** Creates the build directories under `root`. */
export async function prepareBuildDirs(root: string): Promise<BuildDirs> {
  const dirs = { root, workspace: join(root, 'workspace'), layers: join(root, 'layers'), platform: join(root, 'platform') }
  await Promise.all([dirs.workspace, dirs.layers, join(dirs.platform, 'env')].map((d) => mkdir(d, { recursive: true })))
  return dirs
}

/**
 * Prepares the CNB paths themselves for `--no-sandbox` (a CI job inside a build image): /layers
 * and /platform are emptied (they hold only build state); /workspace is left as it is when the app
 * already lives there, and must otherwise be empty so no one's files are overwritten.
 */
export async function prepareCnbDirs(dirs: BuildDirs, appDir: string): Promise<{ copyApp: boolean }> {
  for (const d of [dirs.layers, dirs.platform]) {
    await mkdir(d, { recursive: true })
    for (const n of await readdir(d)) await rm(join(d, n), { recursive: true, force: true })
  }
  await mkdir(join(dirs.platform, 'env'), { recursive: true })
  if (resolve(appDir) === resolve(dirs.workspace)) return { copyApp: false }
  await mkdir(dirs.workspace, { recursive: true })
  if ((await readdir(dirs.workspace)).length > 0) {
    throw new LadingError('ERR_APP_DIR', `--no-sandbox builds in ${dirs.workspace}, which is not empty: pass --path ${dirs.workspace} to build the app that is there, or empty it`)
  }
  return { copyApp: true }
}

/** Empties the CNB paths a `--no-sandbox` build filled. */
export async function emptyCnbDirs(dirs: BuildDirs): Promise<void> {
  for (const d of [dirs.workspace, dirs.layers, dirs.platform]) {
    for (const n of await readdir(d).catch(() => [])) await rm(join(d, n), { recursive: true, force: true })
  }
}

/** Which app files to take: gitignore-style patterns, as project.toml's include/exclude. */
export interface AppFilter { include?: readonly string[]; exclude?: readonly string[] }

/**
 * Copies the app tree `src` into `dest`, keeping modes and symlinks (as links, never followed),
 * honouring project.toml include/exclude (gitignore semantics, as pack applies them). Entries are
 * visited in sorted order so the copy does not depend on readdir order. Returns the file count.
 */
export async function copyApp(src: string, dest: string, filter: AppFilter = {}): Promise<{ files: number }> {
  const st = await lstat(src).catch(() => undefined)
  if (!st?.isDirectory()) throw new LadingError('ERR_APP_DIR', `app directory ${src} does not exist or is not a directory`)
  const exclude = filter.exclude?.length ? ignore().add([...filter.exclude]) : undefined
  const include = filter.include?.length ? ignore().add([...filter.include]) : undefined
  let files = 0
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(join(src, rel))).sort()
    // Without an include list every directory is made as it is visited; with one, on its first file.
    let made = !include || rel === ''
    for (const name of names) {
      const r = rel ? `${rel}/${name}` : name
      const from = join(src, r)
      const s = await lstat(from)
      if (s.isDirectory()) {
        if (exclude?.ignores(`${r}/`)) continue
        // Empty directories are app content too (a bare git repository's refs/, an uploads/ the
        // app expects), as in pack's copy; with an include list only the files it names count.
        if (!include) await mkdir(join(dest, r), { recursive: true })
        await walk(r)
        continue
      }
      if (exclude?.ignores(r)) continue
      if (include && !include.ignores(r)) continue
      const to = join(dest, r)
      if (!made) {
        await mkdir(join(dest, rel), { recursive: true })
        made = true
      }
      if (s.isSymbolicLink()) await symlink(await readlink(from), to)
      else if (s.isFile()) {
        await copyFile(from, to)
        await chmod(to, s.mode & 0o7777)
      } else continue // sockets, fifos, devices are not app content
      files++
    }
  }
  await mkdir(dest, { recursive: true })
  await walk('')
  return { files }
}

/** Writes `<platform>/env/<NAME>` files (raw values, as the platform spec defines them). */
export async function writePlatformEnv(platformDir: string, env: Record<string, string>): Promise<void> {
  await mkdir(join(platformDir, 'env'), { recursive: true })
  for (const [name, value] of Object.entries(env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new LadingError('ERR_USAGE', `invalid environment variable name ${JSON.stringify(name)}`)
    await writeFile(join(platformDir, 'env', name), value)
  }
}
