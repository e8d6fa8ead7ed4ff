/** The default ProcessRunner: buildpack programs run in a bubblewrap sandbox (issue #3, "Where
 * buildpacks run"; issue #10, "Sandbox"). The root filesystem is a build image's unpacked rootfs
 * (nothing of the host) or, without one, only the host's system directories (HOST_ROOT_DIRS),
 * read-only, minus secrets (HIDDEN_ETC, DEFAULT_HIDDEN, and the caller's `alsoHide`: credential
 * files and lading's own cache and config dirs). The caller's directories are bound at the CNB
 * paths (/workspace, /layers, /platform, /cnb/buildpacks/<id>/<version>); fresh /proc, /dev and a
 * tmpfs /tmp; no network unless asked.
 *
 * Identity: a new user namespace maps the in-sandbox `uid`/`gid` to one unprivileged host user.
 * When lading runs as a normal user, that is the user itself. When lading runs as root, bwrap is
 * started as the build user's own host ids (privilege.ts says why and how), and the writable
 * binds are handed to that user before each run (ownership.ts: only what changed since the last
 * run is looked at); the exporter writes CNB_USER_ID/CNB_GROUP_ID into the tar headers either way
 * (cnb-spec.md §4.2).
 *
 * Cost: what a runner sees is worked out once (the host's /etc listing, hidden paths, the mount
 * plan) and, as root, staged once in a prepared mount namespace (stage.ts), so a run costs one
 * nsenter + bwrap; `close()` releases that when the build is done.
 *
 * Environment: bwrap is started with exactly the run's env, so nothing of lading's own env
 * (registry credentials included) reaches a buildpack; values go through the environment, never
 * argv (argv is readable by every user through /proc).
 */
import { access, constants as fsc } from 'node:fs/promises'
import { LadingError } from '../errors.js'
import { spawnProcess } from './host-runner.js'
import { OwnershipKeeper } from './ownership.js'
import { droppedCommand, hostIdsFor, runningAsRoot } from './privilege.js'
import { openStage, type RootStage } from './stage.js'
import type { ProcessRunner, RunOptions } from './types.js'
import { argvFor, checkIds, exists, fixedArgs, mountArgs, plan, viewOps, type Plan, type SandboxOptions } from './sandbox-view.js'

export type { SandboxBind, SandboxOptions } from './sandbox-view.js'

/** Where we look for bwrap (our env's PATH is not consulted: only platform inputs read env). */
export const BWRAP_CANDIDATES = ['/usr/bin/bwrap', '/usr/local/bin/bwrap', '/bin/bwrap']

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
  if (!explicit) {
    defaultBwrap ??= lookUpBwrap(undefined)
    // a failed lookup is not kept: bubblewrap may be installed later in a long-lived process
    return await defaultBwrap.catch((err) => {
      defaultBwrap = undefined
      throw err
    })
  }
  return await lookUpBwrap(explicit)
}

// Where the default bwrap is does not change while lading runs: looked up once per process.
let defaultBwrap: Promise<string> | undefined

async function lookUpBwrap(explicit: string | undefined): Promise<string> {
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


/**
 * Returns the bwrap argv (without the program) that runs `file args` in the sandbox at `cwd`,
 * with host paths as given (no staging). Pure apart from reading directory listings of the
 * rootfs (to build its read-only view).
 */
export async function bwrapArgs(opts: SandboxOptions, file: string, args: readonly string[], cwd: string): Promise<string[]> {
  checkIds(opts.uid, opts.gid)
  const p = await plan(opts)
  return argvFor(opts, await mountArgs(p.root, p.binds, p.hide, (s) => s), file, args, cwd)
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

// Whether overlays (one mount for /etc minus secrets) work here: unknown until the first stage.
let overlaysWork: boolean | undefined

/**
 * The prepared namespace for a plan: with overlays where they work (far fewer mounts, so every
 * bwrap mount of every run is cheaper), else with a bind per entry, as bwrap alone would do it.
 */
async function openRootStage(p: Plan, overlays: boolean): Promise<RootStage> {
  const ops = await viewOps(p.root, p.binds, p.hide, overlays && overlaysWork !== false)
  if (!ops.some((o) => o.op === 'overlay')) return await openStage(ops, p.binds)
  try {
    const stage = await openStage(ops, p.binds)
    overlaysWork = true
    return stage
  } catch {
    // no overlay module, no mknod, or a hidden path inside a host mount: binds per entry instead
    // (a failure that is not the overlays' fails this way too, with its own message)
  }
  const stage = await openStage(await viewOps(p.root, p.binds, p.hide, false), p.binds)
  overlaysWork ??= false
  return stage
}

/** A ProcessRunner for the sandbox; `close()` releases what its runs share (call it when the build is done). */
export interface SandboxRunner extends ProcessRunner {
  /** Works out (and, as root, stages) what every run shares, ahead of the first run; rejects as that run would. */
  prepare(): Promise<void>
  close(): Promise<void>
}

/** What every run of a runner shares, worked out at its first run. */
interface Prepared {
  bwrap: string
  /** bwrap's mount arguments (when bwrap makes every mount itself). */
  mounts?: string[]
  /** The prepared namespace and its mount arguments (when dropping root). */
  stage?: RootStage
  owner?: OwnershipKeeper
}

/**
 * Returns a ProcessRunner that runs each program in a fresh bubblewrap sandbox built from `opts`
 * (paths in `file` and `cwd` are sandbox paths). Rejects with SandboxUnavailableError
 * (ERR_SANDBOX_UNAVAILABLE) when bwrap is missing or cannot create namespaces here,
 * SandboxSetupError (ERR_SANDBOX_SETUP) when it refuses the mounts (bwrap's message included),
 * ERR_ABORTED on abort; otherwise resolves with the program's exit code. The sandbox's layout is
 * taken at the first run (bind sources must exist by then); `close()` removes its stage, after
 * which the next run prepares a new one.
 */
export function createSandboxRunner(opts: SandboxOptions): SandboxRunner {
  let prepared: Promise<Prepared> | undefined
  const prepare = async (): Promise<Prepared> => {
    checkIds(opts.uid, opts.gid)
    const bwrap = await findBwrap(opts.bwrap)
    const p = await plan(opts)
    if (!(opts.dropRoot ?? runningAsRoot())) return { bwrap, mounts: await mountArgs(p.root, p.binds, p.hide, (s) => s) }
    for (const b of p.binds) {
      if (!(await exists(b.source))) throw new SandboxSetupError(`bind source ${b.source} does not exist`)
    }
    const stage = await openRootStage(p, opts.overlays !== false)
    return { bwrap, stage, mounts: ['--ro-bind', stage.root, '/', ...fixedArgs(p.binds.filter((b) => !stage.baked.has(b.target)), (s) => stage.map.get(s)!)], owner: new OwnershipKeeper(hostIdsFor(opts.uid, opts.gid)) }
  }
  const get = (): Promise<Prepared> => {
    if (prepared) return prepared
    const p = prepare()
    prepared = p
    // a failed preparation is not kept: the next run tries again
    p.catch(() => { if (prepared === p) prepared = undefined })
    return p
  }
  return {
    async run(file, args, o) {
      if (o.signal?.aborted) throw new LadingError('ERR_ABORTED', `${file}: aborted`)
      const r = await get()
      const argv = argvFor(opts, r.mounts!, file, args, o.cwd)
      if (!r.stage) return await runBwrap({ file: r.bwrap, args: argv }, file, o)
      const ids = hostIdsFor(opts.uid, opts.gid)
      for (const b of opts.binds) if (!b.readOnly) r.owner!.give(b.source)
      return await runBwrap(await droppedCommand(r.stage.nsPath, ids, r.bwrap, argv), file, o)
    },
    async prepare() {
      await get()
    },
    async close() {
      const p = prepared
      prepared = undefined
      const r = await p?.catch(() => undefined)
      await r?.stage?.close()
    },
  }
}

async function runBwrap(cmd: { file: string; args: string[] }, file: string, o: RunOptions): Promise<{ exitCode: number }> {
  // kept for the error when bwrap fails before the program starts (then it is all bwrap's)
  let early = ''
  const r = await spawnProcess(cmd.file, cmd.args, {
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
    if (/^nsenter: /m.test(early)) throw new SandboxSetupError(detail)
    throw !st.childStarted || NO_NAMESPACES.test(early) ? new SandboxUnavailableError(detail) : new SandboxSetupError(detail)
  }
  return { exitCode: st.exitCode }
}

/**
 * Checks that a sandbox can be created here by running `true` in one; resolves when it can,
 * rejects with SandboxUnavailableError (naming bubblewrap and --no-sandbox) when it cannot.
 */
export async function probeSandbox(opts: Pick<SandboxOptions, 'rootfs' | 'bwrap'> = {}): Promise<void> {
  const runner = createSandboxRunner({ ...opts, binds: [], uid: 1000, gid: 1000, network: false })
  let r
  try {
    r = await runner.run('true', [], { cwd: '/', env: { PATH: '/usr/bin:/bin' } })
  } finally {
    await runner.close()
  }
  if (r.exitCode !== 0) throw new SandboxUnavailableError(`a test program exited with ${r.exitCode}`)
}
