/**
 * The default ProcessRunner: buildpack programs run in a rootless bubblewrap sandbox (issue #3,
 * "Where buildpacks run"). The root filesystem is a build image's unpacked rootfs or the host's,
 * read-only; the caller's directories are bound at the CNB paths (/workspace, /layers, /platform,
 * /cnb/buildpacks/<id>/<version>); fresh /proc, /dev and a tmpfs /tmp; no network unless asked.
 *
 * Identity: a new user namespace maps the in-sandbox `uid`/`gid` to the real user running lading
 * (and nothing else). So files the buildpack writes into bound dirs belong on disk to that real
 * user (root when lading runs as root), and host files owned by the real user look owned by
 * `uid` inside. lading chowns nothing; the exporter writes CNB_USER_ID/CNB_GROUP_ID into the tar
 * headers instead (cnb-spec.md §4.2).
 *
 * Environment: bwrap is started with exactly the run's env, so nothing of lading's own env
 * (registry credentials included) reaches a buildpack; values go through the environment, never
 * argv (argv is readable by every user through /proc). With the host as rootfs, the usual homes
 * of credentials (/root, /home, /run/user, /run/containers, container sockets) are hidden behind
 * empty tmpfs mounts.
 */
import { access, readdir, readlink, constants as fsc } from 'node:fs/promises'
import { posix } from 'node:path'
import { LadingError } from '../errors.js'
import { spawnProcess } from './host-runner.js'
import type { ProcessRunner } from './types.js'

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
  /** Sandbox paths to hide behind empty tmpfs; default for the host rootfs: DEFAULT_HIDDEN, else none. */
  hide?: string[]
  /** The bwrap program; default: the first of BWRAP_CANDIDATES that exists. */
  bwrap?: string
}

/** Where we look for bwrap (our env's PATH is not consulted: only platform inputs read env). */
export const BWRAP_CANDIDATES = ['/usr/bin/bwrap', '/usr/local/bin/bwrap', '/bin/bwrap']

/** Host paths hidden from sandboxes that use the host rootfs: where credentials usually live. */
export const DEFAULT_HIDDEN = [
  '/root', '/home', '/run/user', '/run/containers', '/run/podman', '/run/docker', '/run/docker.sock',
  '/var/lib/containers', '/var/lib/docker',
]

const RESOLV_CONF = '/etc/resolv.conf'

async function exists(p: string): Promise<boolean> {
  try {
    await access(p)
    return true
  } catch {
    return false
  }
}

/** Thrown when bubblewrap is missing or cannot set up the sandbox here. */
export class SandboxUnavailableError extends LadingError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super('ERR_SANDBOX_UNAVAILABLE',
      `cannot run buildpacks in a sandbox: ${detail}. Install bubblewrap (Debian/Ubuntu package ` +
      '`bubblewrap`) and allow unprivileged user namespaces, or pass --no-sandbox to run buildpacks ' +
      'directly (for CI jobs that already run inside a build image)', options)
  }
}

/** Thrown when bwrap runs but refuses the sandbox we asked for (a missing bind source, ...). */
export class SandboxSetupError extends LadingError {
  constructor(detail: string) {
    super('ERR_SANDBOX_SETUP', `cannot set up the buildpack sandbox: ${detail}`)
  }
}

// bwrap's complaints when this machine does not allow the namespaces it needs
const NO_NAMESPACES = /namespace|uid map|gid map|setgroups|No permissions to create/i

async function findBwrap(explicit: string | undefined): Promise<string> {
  for (const p of explicit ? [explicit] : BWRAP_CANDIDATES) {
    try {
      await access(p, fsc.X_OK)
      return p
    } catch {
      // not here: try the next candidate
    }
  }
  throw new SandboxUnavailableError(`bwrap not found (looked at ${(explicit ? [explicit] : BWRAP_CANDIDATES).join(', ')})`)
}

function checkIds(uid: number, gid: number): void {
  for (const [what, n] of [['uid', uid], ['gid', gid]] as const) {
    if (!Number.isInteger(n) || n < 0 || n > 0xfffffffe) {
      throw new LadingError('ERR_SANDBOX_OPTIONS', `sandbox ${what} must be a non-negative integer, got ${n}`)
    }
  }
}

type Special = { kind: 'bind' } | { kind: 'hide' } | { kind: 'fresh' }

// Replaced by fresh instances (--proc, --dev, --tmpfs) rather than taken from the rootfs.
const FRESH = ['/proc', '/dev', '/tmp']

function sandboxPath(p: string, what: string): string {
  const n = posix.normalize(p)
  if (!posix.isAbsolute(p) || n !== p.replace(/\/+$/, '') || n === '/' || p.split('/').includes('..')) {
    throw new LadingError('ERR_SANDBOX_OPTIONS', `sandbox ${what} must be a normalized absolute path other than /, got ${JSON.stringify(p)}`)
  }
  if (n === '/proc' || n === '/dev' || n.startsWith('/proc/') || n.startsWith('/dev/')) {
    throw new LadingError('ERR_SANDBOX_OPTIONS', `sandbox ${what} cannot be under /proc or /dev: ${p}`)
  }
  return n
}

/**
 * The mount arguments for a read-only view of `rootfs` with binds and hidden paths. bwrap cannot
 * create a mount point inside a read-only bind, so instead of binding the rootfs whole we bind
 * each entry of it read-only, and descend (as fresh dirs on the sandbox's own tmpfs root) only
 * into the directories on the way to a bind target or a hidden path; the root is made read-only
 * at the end. A symlink or file on the way to a bind target is replaced by an empty directory.
 */
async function mountArgs(rootfs: string, binds: SandboxBind[], hide: string[]): Promise<string[]> {
  const special = new Map<string, Special>()
  for (const f of FRESH) special.set(f, { kind: 'fresh' })
  for (const h of hide) special.set(sandboxPath(h, 'hidden path'), { kind: 'hide' })
  for (const b of binds) special.set(sandboxPath(b.target, 'bind target'), { kind: 'bind' })
  const keys = [...special.keys()]
  const out: string[] = []
  const walk = async (hostDir: string, dir: string): Promise<void> => {
    let entries
    try {
      entries = await readdir(hostDir, { withFileTypes: true })
    } catch (err) {
      throw new LadingError('ERR_SANDBOX_ROOTFS', `cannot list ${hostDir} for the sandbox root: ${(err as Error).message}`, { cause: err })
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const e of entries) {
      const sp = posix.join(dir, e.name)
      const hp = posix.join(hostDir, e.name)
      const s = special.get(sp)
      if (s) {
        if (s.kind === 'hide' && e.isDirectory()) out.push('--tmpfs', sp)
        continue
      }
      const below = keys.filter((k) => k.startsWith(sp + '/'))
      if (below.length > 0 && e.isDirectory()) {
        out.push('--dir', sp)
        await walk(hp, sp)
      } else if (below.some((k) => special.get(k)?.kind === 'bind')) {
        out.push('--dir', sp)
      } else if (e.isSymbolicLink()) {
        out.push('--symlink', await readlink(hp), sp)
      } else if (e.isDirectory() || e.isFile()) {
        out.push('--ro-bind', hp, sp)
      }
      // sockets, fifos and devices of the rootfs are left out
    }
  }
  await walk(rootfs, '/')
  out.push('--proc', '/proc', '--dev', '/dev', '--perms', '1777', '--tmpfs', '/tmp')
  // parents before children, so a bind inside another bind lands on top of it
  const sorted = [...binds].sort((a, b) => a.target.split('/').length - b.target.split('/').length)
  for (const b of sorted) out.push(b.readOnly ? '--ro-bind' : '--bind', b.source, sandboxPath(b.target, 'bind target'))
  out.push('--remount-ro', '/')
  return out
}

/**
 * Returns the bwrap argv (without the program) that runs `file args` in the sandbox at `cwd`.
 * Pure apart from reading directory listings of the rootfs (to build its read-only view).
 */
export async function bwrapArgs(opts: SandboxOptions, file: string, args: readonly string[], cwd: string): Promise<string[]> {
  checkIds(opts.uid, opts.gid)
  const hostRoot = opts.rootfs === undefined
  const binds = [...opts.binds]
  // a build image's resolv.conf describes its builder's network, not ours
  if (opts.network && !hostRoot && !binds.some((b) => b.target === RESOLV_CONF) && await exists(RESOLV_CONF)) {
    binds.push({ source: RESOLV_CONF, target: RESOLV_CONF, readOnly: true })
  }
  const mounts = await mountArgs(opts.rootfs ?? '/', binds, opts.hide ?? (hostRoot ? DEFAULT_HIDDEN : []))
  return [
    '--unshare-all', '--unshare-user', ...(opts.network ? ['--share-net'] : []),
    '--uid', String(opts.uid), '--gid', String(opts.gid),
    '--die-with-parent', '--new-session', '--json-status-fd', '3',
    ...mounts,
    '--chdir', cwd,
    '--', file, ...args,
  ]
}

interface BwrapStatus { childStarted: boolean; exitCode?: number }

function parseStatus(text: string): BwrapStatus {
  const out: BwrapStatus = { childStarted: false }
  // bwrap writes one JSON object per line: {"child-pid": N, ...} then {"exit-code": N}
  for (const line of text.split('\n')) {
    if (!line.trim()) continue
    try {
      const o = JSON.parse(line) as Record<string, unknown>
      if (typeof o['child-pid'] === 'number') out.childStarted = true
      if (typeof o['exit-code'] === 'number') out.exitCode = o['exit-code']
    } catch {
      // a partial line cannot happen after the pipe closed; ignore anything that is not JSON
    }
  }
  return out
}

/**
 * Returns a ProcessRunner that runs each program in a fresh bubblewrap sandbox built from `opts`
 * (paths in `file` and `cwd` are sandbox paths). Rejects with SandboxUnavailableError
 * (ERR_SANDBOX_UNAVAILABLE) when bwrap is missing or cannot create namespaces here,
 * SandboxSetupError (ERR_SANDBOX_SETUP) when it refuses the mounts (bwrap's message included),
 * ERR_ABORTED on abort; otherwise resolves with the program's exit code.
 */
export function createSandboxRunner(opts: SandboxOptions): ProcessRunner {
  return {
    async run(file, args, o) {
      const bwrap = await findBwrap(opts.bwrap)
      const argv = await bwrapArgs(opts, file, args, o.cwd)
      // kept for the error when bwrap fails before the program starts (then it is all bwrap's)
      let early = ''
      const r = await spawnProcess(bwrap, argv, {
        ...o,
        // bwrap itself runs from "/"; the program's cwd is --chdir
        cwd: '/',
        onOutput: (chunk) => {
          if (early.length < 4096) early += chunk
          o.onOutput?.(chunk)
        },
      }, { statusFd: true })
      const st = parseStatus(r.status)
      // bwrap reports "exit-code" only when the program ran; without it, bwrap itself failed
      // (before the program started, so all output so far is bwrap's)
      if (st.exitCode === undefined) {
        const message = early.trim().slice(0, 4096) || 'no message'
        if (/^bwrap: execvp /m.test(early)) {
          throw new LadingError('ERR_PROCESS_SPAWN', `cannot start ${file} in the sandbox: ${message}`)
        }
        const detail = `bwrap exited with ${r.exitCode}: ${message}`
        throw !st.childStarted || NO_NAMESPACES.test(early) ? new SandboxUnavailableError(detail) : new SandboxSetupError(detail)
      }
      return { exitCode: st.exitCode }
    },
  }
}

/**
 * Checks that a sandbox can be created here by running `true` in one; resolves when it can,
 * rejects with SandboxUnavailableError (naming bubblewrap and --no-sandbox) when it cannot.
 */
export async function probeSandbox(opts: Pick<SandboxOptions, 'rootfs' | 'bwrap'> = {}): Promise<void> {
  const runner = createSandboxRunner({ ...opts, binds: [], uid: 1000, gid: 1000, network: false })
  const r = await runner.run('true', [], { cwd: '/', env: { PATH: '/usr/bin:/bin' } })
  if (r.exitCode !== 0) throw new SandboxUnavailableError(`a test program exited with ${r.exitCode}`)
}
