/** How the sandbox drops root (issue #10, "Sandbox"): when lading runs as root, buildpacks must run
 * as an unprivileged HOST uid/gid, not as root seen through a user namespace.
 *
 * Why this shape (Debian's bubblewrap 0.8, not setuid): bwrap started by root with
 * `--unshare-user --uid N` maps N to host root (the caller), so the "build user" could read every
 * root-owned file. `--userns-block-fd` (we write the map) makes bwrap skip its own uid switch and
 * run the program as namespace root with all capabilities, and `--userns` cannot switch gid. The
 * only arrangement that works is to start bwrap itself as the unprivileged host user, so its user
 * namespace maps the build uid to that user and nothing else. But an unprivileged bwrap cannot
 * reach bind sources under 0700 directories (/root/.cache/lading/rootfs, a buildpack in /root):
 * bwrap resolves every source path, even `--bind-fd`'s /proc/self/fd/N, by name. So, as root, we
 * first enter a private mount namespace (`unshare --mount --propagation private`), bind each
 * source at a fresh mount point in a world-traversable stage dir (visible only in that namespace
 * and gone with it), then `setpriv` to the build user and exec bwrap on the staged paths.
 * unshare, mount and setpriv are util-linux, present on every Debian/Ubuntu system.
 */
import { access, chmod, lchown, lstat, mkdtemp, readdir, rmdir, stat, unlink, writeFile, mkdir, constants as fsc } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { LadingError } from '../errors.js'

/** A host uid/gid pair. */
export interface HostIds { uid: number; gid: number }

/** The unprivileged host account used when the build user is root (uid 0) inside the sandbox. */
export const NOBODY = 65534

/** True when this process runs as root, so the sandbox has to drop to the build user itself. */
export function runningAsRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0
}

/**
 * The host ids buildpacks run as when lading is root: the build user's own ids (as with pack and
 * docker, where CNB_USER_ID is a host uid too), except that root becomes nobody.
 */
export function hostIdsFor(uid: number, gid: number): HostIds {
  return { uid: uid === 0 ? NOBODY : uid, gid: gid === 0 ? NOBODY : gid }
}

async function findTool(name: string, candidates: readonly string[]): Promise<string> {
  for (const p of candidates) {
    try {
      await access(p, fsc.X_OK)
      return p
    } catch {
      // not here: next
    }
  }
  throw new LadingError('ERR_SANDBOX_UNAVAILABLE', `cannot drop root for the buildpack sandbox: ${name} not found (looked at ${candidates.join(', ')}; Debian package util-linux)`)
}

/** One host path to bind at a stage path inside the private mount namespace. */
export interface StagedMount { source: string; staged: string }

/** A stage directory and the mounts to make in it. */
export interface Stage {
  dir: string
  mounts: StagedMount[]
  /** Host path → staged path (what bwrap is given). */
  map: Map<string, string>
}

/**
 * Creates a world-traversable (0711) stage dir under the temp dir with one mount point per
 * source: an empty dir for a directory, an empty file for anything else.
 */
export async function makeStage(sources: readonly string[]): Promise<Stage> {
  const dir = await mkdtemp(join(await stageParent(), 'lading-sandbox-'))
  await chmod(dir, 0o711)
  const stage: Stage = { dir, mounts: [], map: new Map() }
  let i = 0
  for (const source of sources) {
    if (stage.map.has(source)) continue
    const staged = join(dir, String(i++))
    const st = await lstat(source).catch(() => undefined)
    // a missing source is staged as a dir: the mount then fails with mount's own message
    if (!st || st.isDirectory() || st.isSymbolicLink()) await mkdir(staged)
    else await writeFile(staged, '')
    stage.mounts.push({ source, staged })
    stage.map.set(source, staged)
  }
  return stage
}

/**
 * The first temp dir the build user can reach (every ancestor searchable by others): $TMPDIR may
 * be a private 0700 dir, and bwrap, running as the build user, must resolve the staged paths.
 */
async function stageParent(): Promise<string> {
  for (const c of [tmpdir(), '/tmp', '/var/tmp', '/dev/shm']) {
    let ok = true
    for (let p = c; ok; p = dirname(p)) {
      const st = await stat(p).catch(() => undefined)
      ok = st !== undefined && st.isDirectory() && (st.mode & 0o001) !== 0
      if (p === '/') break
    }
    if (ok) return c
  }
  throw new LadingError('ERR_SANDBOX_UNAVAILABLE', 'cannot drop root for the buildpack sandbox: no temp dir (TMPDIR, /tmp, /var/tmp, /dev/shm) is reachable by other users')
}

/**
 * Removes a stage dir without following or recursing into anything: its entries are empty mount
 * points (the mounts live only in the sandbox's private namespace), so rmdir/unlink suffice and
 * nothing bound there can ever be deleted through it.
 */
export async function removeStage(stage: Stage): Promise<void> {
  for (const name of await readdir(stage.dir).catch(() => [])) {
    const p = join(stage.dir, name)
    await rmdir(p).catch(() => unlink(p)).catch(() => {})
  }
  await rmdir(stage.dir).catch(() => {})
}

// Binds each pair then drops root; positional args are: src dst ... -- program args
const MOUNT_SCRIPT = 'm=$1; shift; while [ "$1" != -- ]; do "$m" --bind -- "$1" "$2" || exit 125; shift 2; done; shift; exec "$@"'

/**
 * The program and argv that run `bwrap bwrapArgv` as `ids` after making `stage`'s mounts in a
 * private mount namespace.
 */
export async function droppedCommand(stage: Stage, ids: HostIds, bwrap: string, bwrapArgv: readonly string[]): Promise<{ file: string; args: string[] }> {
  const unshare = await findTool('unshare', ['/usr/bin/unshare', '/bin/unshare'])
  const mount = await findTool('mount', ['/usr/bin/mount', '/bin/mount'])
  const setpriv = await findTool('setpriv', ['/usr/bin/setpriv', '/bin/setpriv'])
  const pairs = stage.mounts.flatMap((m) => [m.source, m.staged])
  return {
    file: unshare,
    args: [
      '--mount', '--propagation', 'private', '--', '/bin/sh', '-c', MOUNT_SCRIPT, 'lading-sandbox', mount, ...pairs, '--',
      setpriv, `--reuid=${ids.uid}`, `--regid=${ids.gid}`, '--clear-groups', '--', bwrap, ...bwrapArgv,
    ],
  }
}

/**
 * Gives `dir` and everything under it (never following links) to `ids`, touching only entries
 * owned by someone else: lading writes into /workspace and /layers between buildpack runs
 * (app copy, restored layers), and the build user must own what it may change.
 */
export async function chownTree(dir: string, ids: HostIds): Promise<void> {
  const visit = async (p: string): Promise<void> => {
    const st = await lstat(p).catch(() => undefined)
    if (!st) return
    if (st.uid !== ids.uid || st.gid !== ids.gid) await lchown(p, ids.uid, ids.gid)
    if (st.isDirectory()) for (const n of await readdir(p)) await visit(join(p, n))
  }
  await visit(dir)
}
