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
 * prepare a private mount namespace once per runner (stage.ts: the sandbox's whole read-only root
 * and every bind source, mounted at world-traversable stage paths that exist only in that
 * namespace), and each run is `nsenter` into it, dropping to the build user, exec bwrap on the
 * staged paths. unshare, mount and nsenter are util-linux, present on every Debian/Ubuntu system.
 */
import { accessSync, statSync, statfsSync, constants as fsc } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname } from 'node:path'
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

// Tool paths do not change while lading runs: looked up once per process.
const tools = new Map<string, Promise<string>>()

/** The first executable of `candidates` (a util-linux tool), looked up once per process. */
export function findTool(name: string, candidates: readonly string[]): Promise<string> {
  let found = tools.get(name)
  if (!found) {
    found = lookUp(name, candidates)
    tools.set(name, found)
    // a failed lookup is not kept: the tool may be installed later in a long-lived process
    found.catch(() => tools.delete(name))
  }
  return found
}

async function lookUp(name: string, candidates: readonly string[]): Promise<string> {
  for (const p of candidates) {
    try {
      accessSync(p, fsc.X_OK)
      return p
    } catch {
      // not here: next
    }
  }
  throw new LadingError('ERR_SANDBOX_UNAVAILABLE', `cannot drop root for the buildpack sandbox: ${name} not found (looked at ${candidates.join(', ')}; Debian package util-linux)`)
}

// statfs f_type values: a tmpfs is the best place for a stage (dozens of mkdirs, no disk); on
// overlayfs a 0/0 character device (an overlay whiteout) cannot be made
const TMPFS_MAGIC = 0x01021994
const OVERLAYFS_MAGIC = 0x794c7630

function fsType(p: string): number | undefined {
  try {
    return statfsSync(p).type
  } catch {
    return undefined
  }
}

/** True when `p` is on a tmpfs (a missing path is not). */
export function isTmpfs(p: string): boolean {
  return fsType(p) === TMPFS_MAGIC
}

/**
 * The temp dir for stages: one the build user can reach (every ancestor searchable by others:
 * $TMPDIR may be a private 0700 dir, and bwrap, running as the build user, must resolve the staged
 * paths), a tmpfs first (/dev/shm usually is), then one not on overlayfs (a container's /tmp
 * often is; the stage holds overlay whiteouts, see overlay.ts), then any.
 */
export async function stageParent(): Promise<string> {
  const reachable: string[] = []
  for (const c of [tmpdir(), '/tmp', '/var/tmp', '/dev/shm']) {
    let ok = true
    for (let p = c; ok; p = dirname(p)) {
      let st
      try {
        st = statSync(p)
      } catch {
        // not there
      }
      ok = st !== undefined && st.isDirectory() && (st.mode & 0o001) !== 0
      if (p === '/') break
    }
    if (ok && !reachable.includes(c)) reachable.push(c)
  }
  const types = new Map(reachable.map((c) => [c, fsType(c)]))
  const best = reachable.find((c) => types.get(c) === TMPFS_MAGIC) ?? reachable.find((c) => types.get(c) !== OVERLAYFS_MAGIC) ?? reachable[0]
  if (best) return best
  throw new LadingError('ERR_SANDBOX_UNAVAILABLE', 'cannot drop root for the buildpack sandbox: no temp dir (TMPDIR, /tmp, /var/tmp, /dev/shm) is reachable by other users')
}

/**
 * The program and argv that run `bwrap bwrapArgv` as `ids` inside the prepared mount namespace at
 * `nsPath` (one exec: nsenter enters it, drops all groups and switches gid then uid, which as
 * root also drops every capability, and execs bwrap in the same process).
 */
export async function droppedCommand(nsPath: string, ids: HostIds, bwrap: string, bwrapArgv: readonly string[]): Promise<{ file: string; args: string[] }> {
  const nsenter = await findTool('nsenter', ['/usr/bin/nsenter', '/bin/nsenter'])
  return { file: nsenter, args: [`--mount=${nsPath}`, `--setgid=${ids.gid}`, `--setuid=${ids.uid}`, '--', bwrap, ...bwrapArgv] }
}
