/** The prepared mount namespace a root-run sandbox starts from (privilege.ts says why): made once
 * per runner, so that each buildpack run is one nsenter + bwrap with a handful of binds instead of
 * a chain of mount processes and a bwrap that binds every entry of /etc (bwrap re-reads
 * /proc/self/mountinfo for each bind, so N binds cost O(N²): ~75 ms per run for a Debian /etc).
 *
 * On the host, the stage is a root-owned 0711 dir under a temp dir every user can reach, holding
 * empty mount points: `root/` (the sandbox's read-only root: fresh dirs, symlinks, one mount
 * point per entry to bind, or one read-only overlay for a directory with hidden entries, see
 * overlay.ts) and one mount point per bind source. The holder (holder.ts) fills them with one
 * `mount -a` over a private fstab in a private mount namespace; we keep that namespace open
 * through a file descriptor of our own and let the holder exit. The mounts exist only in that
 * namespace and vanish with the descriptor; the host sees empty dirs.
 */
// Metadata calls are synchronous on purpose: a few dozen, once per build; under load, each round trip
// through the thread pool costs more than the call itself (the stage is on the first run's path).
import { chmodSync, closeSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join, posix } from 'node:path'
import { LadingError } from '../errors.js'
import { startHolder, type Holder } from './holder.js'
import { layOverlay, linkWhiteouts, mountPoints, OverlayUnfit, type MountLine } from './overlay.js'
import { stageParent } from './privilege.js'
import { OVERLAY_SAFE, type SandboxBind, type ViewOp } from './sandbox-view.js'

/** A prepared mount namespace (see the file comment). */
export interface RootStage {
  /** The stage dir on the host. */
  dir: string
  /** The sandbox's read-only root, as bwrap finds it inside the namespace. */
  root: string
  /** Bind source (host path) → its staged path inside the namespace, for the binds bwrap makes. */
  map: Map<string, string>
  /** Targets of the read-only binds made in the root itself (bwrap need not make them each run). */
  baked: Set<string>
  /** The namespace, as a path nsenter can open while this process lives. */
  nsPath: string
  /** Closes the namespace (its mounts go with it) and removes the stage dir. */
  close(): Promise<void>
}

function setupError(detail: string): LadingError {
  return new LadingError('ERR_SANDBOX_SETUP', `cannot set up the buildpack sandbox: ${detail}`)
}

// fstab fields are separated by blanks; mount decodes these octal escapes.
function fstabPath(p: string): string {
  return p.replace(/[\\ \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`)
}

/** Makes `dir` and its missing ancestors below `top` as 0755 dirs (the umask may be stricter). */
function ensureDir(top: string, dir: string): void {
  const rel = posix.relative(top, dir)
  let p = top
  for (const part of rel ? rel.split('/') : []) {
    p = posix.join(p, part)
    let st
    try {
      st = lstatSync(p)
    } catch {
      mkdirSync(p)
      chmodSync(p, 0o755)
      continue
    }
    if (!st.isDirectory()) throw setupError(`${p} is in the way of a mount point`)
  }
}

function mountPoint(p: string, dir: boolean): void {
  if (dir) mkdirSync(p)
  else writeFileSync(p, '')
}

/** The laid-out stage: its fstab text and the whiteouts still to make. */
interface Layout { fstab: string; whiteouts: string[] }

/** Writes the stage's empty mount points, dirs, symlinks and overlay layers. */
function layOut(dir: string, root: string, ops: readonly ViewOp[], binds: readonly SandboxBind[], map: Map<string, string>, baked: Set<string>): Layout {
  const lines: MountLine[] = []
  const whiteouts: string[] = []
  const add = (source: string, target: string, options: string): void => {
    lines.push({ source, target, type: 'none', options })
  }
  ensureDir(dir, root)
  const overlays = ops.some((o) => o.op === 'overlay')
  if (overlays && !OVERLAY_SAFE.test(dir)) throw new OverlayUnfit(`${dir} cannot be named in overlay options`)
  const hostMounts = overlays ? mountPoints(readFileSync('/proc/self/mountinfo', 'utf8')) : []
  let layers = 0
  for (const o of ops) {
    const p = posix.join(root, o.path)
    if (o.op === 'dir') ensureDir(root, p)
    else if (o.op === 'symlink') symlinkSync(o.target, p)
    else if (o.op === 'overlay') {
      ensureDir(root, p)
      const laid = layOverlay(o, join(dir, `layer${layers++}`), p, hostMounts)
      lines.push(...laid.mounts)
      whiteouts.push(...laid.whiteouts)
    } else {
      mountPoint(p, o.dir)
      // recursive like bwrap's --ro-bind; bwrap makes every mount under the root read-only again
      add(o.source, p, 'rbind,ro')
    }
  }
  for (const fresh of ['proc', 'dev', 'tmp']) ensureDir(root, posix.join(root, fresh))
  let i = 0
  for (const b of binds) {
    const isDir = statSync(b.source).isDirectory()
    const target = posix.join(root, b.target)
    ensureDir(root, posix.dirname(target))
    if (!existsNoFollow(target)) mountPoint(target, isDir)
    if (bakeable(b, binds)) {
      baked.add(b.target)
      add(b.source, target, 'bind,ro')
      continue
    }
    if (map.has(b.source)) continue
    const staged = join(dir, String(i++))
    mountPoint(staged, isDir)
    map.set(b.source, staged)
    add(b.source, staged, 'bind')
  }
  return { fstab: lines.map((l) => `${fstabPath(l.source)} ${fstabPath(l.target)} ${l.type} ${l.options} 0 0\n`).join(''), whiteouts }
}

function under(p: string, dir: string): boolean {
  return p === dir || p.startsWith(`${dir}/`)
}

/**
 * Whether a bind can be made once, in the root, rather than by bwrap each run: read-only (the root
 * is bound read-only as a whole), not in the fresh /tmp, and with no other bind above or below it
 * (whose order with it bwrap keeps). A builder binds every buildpack it has: dozens of binds.
 */
function bakeable(b: SandboxBind, binds: readonly SandboxBind[]): boolean {
  if (!b.readOnly || under(b.target, '/tmp')) return false
  return !binds.some((o) => o !== b && (under(o.target, b.target) || under(b.target, o.target)))
}

function existsNoFollow(p: string): boolean {
  try {
    lstatSync(p)
    return true
  } catch {
    return false
  }
}

// Stages not closed yet: removed when the process exits, so a runner nobody closed leaves no dir
// behind (its namespace goes with the process's descriptors anyway).
const open = new Set<string>()
let exitHook = false

function track(dir: string): void {
  open.add(dir)
  if (exitHook) return
  exitHook = true
  process.once('exit', () => {
    for (const d of open) rmSync(d, { recursive: true, force: true })
  })
}

/**
 * Prepares the mount namespace for a runner: the read-only root from `ops` (sources are host
 * paths, bound as root) with mount points for every bind target, and each bind source staged.
 * Rejects with ERR_SANDBOX_SETUP (mount's own message included) when a mount fails, and
 * ERR_SANDBOX_UNAVAILABLE when a util-linux tool is missing; leaves nothing behind then.
 */
export async function openStage(ops: readonly ViewOp[], binds: readonly SandboxBind[]): Promise<RootStage> {
  const dir = mkdtempSync(join(await stageParent(), 'lading-sandbox-'))
  const root = join(dir, 'root')
  const map = new Map<string, string>()
  const baked = new Set<string>()
  const fstab = join(dir, 'fstab')
  const whiteout = join(dir, 'whiteout')
  let fd: number | undefined
  let holder: Holder | undefined
  try {
    chmodSync(dir, 0o711)
    // the holder starts while we lay out: its start-up costs as much as the layout
    const needsWhiteout = ops.some((o) => o.op === 'overlay' && o.whiteouts.length > 0)
    holder = await startHolder(needsWhiteout ? whiteout : undefined)
    const laid = layOut(dir, root, ops, binds, map, baked)
    writeFileSync(fstab, laid.fstab, { mode: 0o600 })
    await holder.made.catch((err: Error) => {
      // most likely mknod refused (no CAP_MKNOD before Linux 5.8): binds per entry instead
      throw needsWhiteout ? new OverlayUnfit(err.message) : err
    })
    linkWhiteouts(whiteout, laid.whiteouts)
    fd = await holder.mount(fstab)
    unlinkSync(fstab)
  } catch (err) {
    holder?.stop()
    if (fd !== undefined) closeSync(fd)
    await rm(dir, { recursive: true, force: true })
    throw err
  }
  const held = fd
  track(dir)
  let closed: Promise<void> | undefined
  return {
    dir, root, map, baked, nsPath: `/proc/${process.pid}/fd/${held}`,
    close() {
      closed ??= (async () => {
        closeSync(held)
        // host side only: plain empty dirs, files and symlinks (the mounts live in the closed namespace)
        await rm(dir, { recursive: true, force: true })
        open.delete(dir)
      })()
      return closed
    },
  }
}
