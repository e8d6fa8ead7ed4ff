/** What a buildpack sandbox sees (issue #10, "Sandbox"): the read-only root (a build image, or only the
 * host's system directories minus secrets), the binds at the CNB paths, and the bwrap mount
 * arguments for them. sandbox.ts runs bwrap with these; privilege.ts stages the sources when
 * dropping root.
 */
// Synchronous on purpose: a runner's plan is a few dozen metadata calls, made once; under load, each
// round trip through the thread pool costs more than the call itself.
import { accessSync, readdirSync, readlinkSync, realpathSync } from 'node:fs'
import { posix } from 'node:path'
import { LadingError } from '../errors.js'
import { definedOnly } from '../defined.js'

/** A host path made visible at `target` inside the sandbox. */
export interface SandboxBind {
  /** Host path (directory or file). */
  source: string
  /** Absolute sandbox path, e.g. /workspace or /cnb/buildpacks/acme_node/1.0.0. */
  target: string
  readOnly?: boolean
}

/** Options of createSandboxRunner. */
export interface SandboxOptions {
  /** Build image rootfs directory; default: the host's `/`, read-only. */
  rootfs?: string
  /** Host dirs (or files) → absolute sandbox paths; writable unless `readOnly`. */
  binds: SandboxBind[]
  uid: number
  gid: number
  /**
   * Share the host network namespace (`--network`); else only a private loopback. With a rootfs,
   * the host's /etc/resolv.conf is bound over the image's so names resolve as on the host.
   */
  network: boolean
  /** Paths left out of the sandbox; default for the host rootfs: DEFAULT_HIDDEN (plus HIDDEN_ETC), else none. */
  hide?: string[]
  /** More host paths to leave out of a host-rootfs sandbox (credential files, lading's cache and config dirs). */
  alsoHide?: string[]
  /** Drop root to the build user's host ids (default: when this process runs as root). */
  dropRoot?: boolean
  /**
   * When dropping root, show a directory with hidden paths (the host's /etc) as one read-only
   * overlay instead of a bind per entry (default: when the kernel allows it; false: always binds).
   */
  overlays?: boolean
  /** The bwrap program; default: the first of BWRAP_CANDIDATES that exists. */
  bwrap?: string
}

/**
 * The only top-level host directories a host-rootfs sandbox sees: what programs need to run.
 * Everything else (/root, /home, /run, /var, /srv, /mnt, /media, /work, ...) does not exist there.
 */
export const HOST_ROOT_DIRS = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32', 'usr', 'etc', 'opt']

/** Host paths left out even inside HOST_ROOT_DIRS (and, belt and braces, the usual credential homes). */
export const DEFAULT_HIDDEN = [
  '/root', '/home', '/run', '/var/lib', '/etc/ssl/private', '/etc/docker', '/etc/containers/auth.json',
  '/etc/security/opasswd', '/etc/lading',
]

/** Never hidden, nor anything above them: what every program needs. */
const SYSTEM_PATHS = ['/bin', '/sbin', '/lib', '/lib64', '/usr/bin', '/usr/sbin', '/usr/lib', '/usr/lib64', '/usr/libexec', '/usr/share',
  '/usr/local/bin', '/usr/local/lib', '/etc/passwd', '/etc/group', '/etc/ssl/certs', '/etc/alternatives', '/etc/ld.so.cache']

/** Files in these host dirs whose names match are left out too: password hashes, sudo rules, host keys. */
export const HIDDEN_PATTERNS: readonly (readonly [string, RegExp])[] = [
  ['/etc', /^(shadow|gshadow|sudoers)/], ['/etc/ssh', /^ssh_host_.*key$/],
]

const RESOLV_CONF = '/etc/resolv.conf'

export async function exists(p: string): Promise<boolean> {
  try {
    accessSync(p)
    return true
  } catch {
    return false
  }
}

export function checkIds(uid: number, gid: number): void {
  for (const [what, n] of [['uid', uid], ['gid', gid]] as const) {
    if (!Number.isInteger(n) || n < 0 || n > 0xfffffffe) {
      throw new LadingError('ERR_SANDBOX_OPTIONS', `sandbox ${what} must be a non-negative integer, got ${n}`)
    }
  }
}

type Special = { kind: 'bind' } | { kind: 'hide' } | { kind: 'fresh' }

// Replaced by fresh instances (--proc, --dev, --tmpfs) rather than taken from the rootfs.
const FRESH = ['/proc', '/dev', '/tmp']

export function sandboxPath(p: string, what: string): string {
  const n = posix.normalize(p)
  if (!posix.isAbsolute(p) || n !== p.replace(/\/+$/, '') || n === '/' || p.split('/').includes('..')) {
    throw new LadingError('ERR_SANDBOX_OPTIONS', `sandbox ${what} must be a normalized absolute path other than /, got ${JSON.stringify(p)}`)
  }
  if (n === '/proc' || n === '/dev' || n.startsWith('/proc/') || n.startsWith('/dev/')) {
    throw new LadingError('ERR_SANDBOX_OPTIONS', `sandbox ${what} cannot be under /proc or /dev: ${p}`)
  }
  return n
}

/** Where the sandbox root comes from: listed at `list`, bound from `src` (a staged path when dropping root). */
export interface RootView {
  list: string
  src: string
  /** Only these top-level names (the host rootfs); all when absent. */
  allow?: readonly string[]
}

/** One step of building the read-only root: a fresh directory, a symlink, or a read-only bind of a host path. */
export type ViewOp =
  | { op: 'dir'; path: string }
  | { op: 'symlink'; target: string; path: string }
  | { op: 'ro-bind'; source: string; path: string; dir: boolean }
  | OverlayOp

/**
 * A host directory shown whole except for hidden entries (overlays: true): a read-only overlay
 * whose top layer holds a whiteout per hidden entry. Paths in `dirs` (directories on the way to a
 * hidden entry, parents first) and `whiteouts` are relative to `path`.
 */
export interface OverlayOp { op: 'overlay'; source: string; path: string; dirs: string[]; whiteouts: string[] }

/** What overlay's lowerdir option and an fstab line can carry without escaping. */
export const OVERLAY_SAFE = /^[A-Za-z0-9._/+@-]+$/

/**
 * The steps that build a read-only view of the root with binds and hidden paths. bwrap cannot
 * create a mount point inside a read-only bind, so instead of binding the rootfs whole we bind
 * each entry of it read-only, and descend (as fresh dirs) only into the directories on the way to
 * a bind target or a hidden path. A symlink or file on the way to a bind target is replaced by an
 * empty directory. Hidden paths are simply not there. Bind targets and /proc, /dev, /tmp are
 * left out: they are mounted afterwards (fixedArgs). With `overlays`, a directory with hidden
 * paths below it but no bind target is one OverlayOp instead of a bind per entry.
 */
export async function viewOps(root: RootView, binds: readonly SandboxBind[], hide: readonly string[], overlays = false): Promise<ViewOp[]> {
  const special = new Map<string, Special>()
  for (const f of FRESH) special.set(f, { kind: 'fresh' })
  for (const h of hide) special.set(sandboxPath(h, 'hidden path'), { kind: 'hide' })
  for (const b of binds) special.set(sandboxPath(b.target, 'bind target'), { kind: 'bind' })
  const keys = [...special.keys()]
  const out: ViewOp[] = []
  // inside an overlay only hidden entries and the dirs leading to them are recorded
  const walk = async (rel: string, dir: string, ov?: OverlayOp): Promise<void> => {
    const hostDir = posix.join(root.list, rel)
    let entries
    try {
      entries = readdirSync(hostDir, { withFileTypes: true })
    } catch (err) {
      throw new LadingError('ERR_SANDBOX_ROOTFS', `cannot list ${hostDir} for the sandbox root: ${(err as Error).message}`, { cause: err })
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const e of entries) {
      if (dir === '/' && root.allow && !root.allow.includes(e.name)) continue
      const sp = posix.join(dir, e.name)
      const r = posix.join(rel, e.name)
      const s = special.get(sp)
      if (s) {
        if (ov && s.kind === 'hide') ov.whiteouts.push(posix.relative(ov.path, sp))
        continue
      }
      const below = keys.filter((k) => k.startsWith(sp + '/'))
      const bindBelow = below.some((k) => special.get(k)?.kind === 'bind')
      if (below.length > 0 && e.isDirectory()) {
        const source = posix.join(root.src, r)
        if (ov) {
          ov.dirs.push(posix.relative(ov.path, sp))
          await walk(r, sp, ov)
        } else if (overlays && !bindBelow && OVERLAY_SAFE.test(source)) {
          const o: OverlayOp = { op: 'overlay', source, path: sp, dirs: [], whiteouts: [] }
          out.push(o)
          await walk(r, sp, o)
        } else {
          out.push({ op: 'dir', path: sp })
          await walk(r, sp)
        }
      } else if (ov) {
        // the overlay shows it as it is
      } else if (bindBelow) {
        out.push({ op: 'dir', path: sp })
      } else if (e.isSymbolicLink()) {
        out.push({ op: 'symlink', target: readlinkSync(posix.join(root.list, r)), path: sp })
      } else if (e.isDirectory() || e.isFile()) {
        out.push({ op: 'ro-bind', source: posix.join(root.src, r), path: sp, dir: e.isDirectory() })
      }
      // sockets, fifos and devices of the rootfs are left out
    }
  }
  await walk('', '/')
  return out
}

/** bwrap arguments for view steps. */
export function viewArgs(ops: readonly ViewOp[]): string[] {
  return ops.flatMap((o) => {
    if (o.op === 'overlay') throw new LadingError('ERR_SANDBOX_OPTIONS', 'bwrap cannot make an overlay view')
    return o.op === 'dir' ? ['--dir', o.path] : o.op === 'symlink' ? ['--symlink', o.target, o.path] : ['--ro-bind', o.source, o.path]
  })
}

/** The binds in mount order: parents before children, so a bind inside another bind lands on top of it. */
export function bindOrder(binds: readonly SandboxBind[]): SandboxBind[] {
  return [...binds].sort((a, b) => a.target.split('/').length - b.target.split('/').length)
}

/** bwrap arguments for what comes after the root view: fresh /proc, /dev and /tmp, then the binds (sources through `source`). */
export function fixedArgs(binds: readonly SandboxBind[], source: (p: string) => string): string[] {
  const out = ['--proc', '/proc', '--dev', '/dev', '--perms', '1777', '--tmpfs', '/tmp']
  for (const b of bindOrder(binds)) out.push(b.readOnly ? '--ro-bind' : '--bind', source(b.source), sandboxPath(b.target, 'bind target'))
  return out
}

/**
 * The bwrap mount arguments for the whole sandbox, all done by bwrap itself: the view on its
 * tmpfs root, /proc, /dev, /tmp, the binds, and the root made read-only at the end.
 */
export async function mountArgs(root: RootView, binds: SandboxBind[], hide: string[], source: (p: string) => string): Promise<string[]> {
  return [...viewArgs(await viewOps(root, binds, hide)), ...fixedArgs(binds, source), '--remount-ro', '/']
}

/** Host paths matching HIDDEN_PATTERNS under `rootfs`. */
function patternHidden(rootfs: string): string[] {
  const out: string[] = []
  for (const [dir, re] of HIDDEN_PATTERNS) {
    let names: string[] = []
    try {
      names = readdirSync(posix.join(rootfs, dir))
    } catch {
      // no such dir: nothing to hide there
    }
    for (const n of names) {
      if (re.test(n)) out.push(posix.join(dir, n))
    }
  }
  return out
}

/** Absolute, normalized forms of `paths` plus where their symlinks lead; '/' and relative paths are dropped. */
function resolveHidden(paths: readonly string[]): string[] {
  const out = new Set<string>()
  for (const p of paths) {
    if (!posix.isAbsolute(p)) continue
    const n = posix.normalize(p).replace(/\/+$/, '')
    if (!n || n === '/') continue
    out.add(n)
    let real: string | undefined
    try {
      real = realpathSync(n)
    } catch {
      // does not exist (yet): the path itself is hidden
    }
    if (real && real !== '/') out.add(real)
  }
  // An environment variable may name a system dir (npm_config_prefix=/usr): hiding that would
  // take the build's shell and libraries away, and it holds no credentials of its own.
  return [...out].filter((h) => !/^\/(proc|dev)(\/|$)/.test(h) && !SYSTEM_PATHS.some((s) => s === h || s.startsWith(`${h}/`)))
}

/** The sandbox layout, before any staging: what is bound where. */
export interface Plan { root: RootView; binds: SandboxBind[]; hide: string[] }

export async function plan(opts: SandboxOptions): Promise<Plan> {
  const hostRoot = opts.rootfs === undefined
  const binds = [...opts.binds]
  // a build image's resolv.conf describes its builder's network, not ours
  if (opts.network && !hostRoot && !binds.some((b) => b.target === RESOLV_CONF) && await exists(RESOLV_CONF)) {
    binds.push({ source: RESOLV_CONF, target: RESOLV_CONF, readOnly: true })
  }
  const rootfs = opts.rootfs ?? '/'
  const hide = hostRoot
    ? [...(opts.hide ?? DEFAULT_HIDDEN), ...patternHidden('/'), ...resolveHidden(opts.alsoHide ?? [])]
    : opts.hide ?? []
  return { root: definedOnly({ list: rootfs, src: rootfs, allow: hostRoot ? HOST_ROOT_DIRS : undefined }), binds, hide: [...new Set(hide)] }
}

export function argvFor(opts: SandboxOptions, mounts: string[], file: string, args: readonly string[], cwd: string): string[] {
  return [
    '--unshare-all', '--unshare-user', ...(opts.network ? ['--share-net'] : []),
    '--uid', String(opts.uid), '--gid', String(opts.gid),
    '--die-with-parent', '--new-session', '--json-status-fd', '3',
    ...mounts,
    '--chdir', cwd,
    '--', file, ...args,
  ]
}
