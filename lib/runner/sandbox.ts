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
 * binds are handed to that user before each run; the exporter writes CNB_USER_ID/CNB_GROUP_ID
 * into the tar headers either way (cnb-spec.md §4.2).
 *
 * Environment: bwrap is started with exactly the run's env, so nothing of lading's own env
 * (registry credentials included) reaches a buildpack; values go through the environment, never
 * argv (argv is readable by every user through /proc).
 */
import { access, constants as fsc } from 'node:fs/promises'
import { LadingError } from '../errors.js'
import { spawnProcess } from './host-runner.js'
import { chownTree, droppedCommand, hostIdsFor, makeStage, removeStage, runningAsRoot, type Stage } from './privilege.js'
import type { ProcessRunner } from './types.js'
import { argvFor, checkIds, exists, mountArgs, plan, type SandboxOptions } from './sandbox-view.js'

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
      checkIds(opts.uid, opts.gid)
      const bwrap = await findBwrap(opts.bwrap)
      const p = await plan(opts)
      const drop = opts.dropRoot ?? runningAsRoot()
      let stage: Stage | undefined
      try {
        let cmd: { file: string; args: string[] }
        if (drop) {
          const ids = hostIdsFor(opts.uid, opts.gid)
          for (const b of p.binds) {
            if (!(await exists(b.source))) throw new SandboxSetupError(`bind source ${b.source} does not exist`)
            if (!b.readOnly) await chownTree(b.source, ids)
          }
          const hostRoot = opts.rootfs === undefined
          stage = await makeStage([...(hostRoot ? [] : [p.root.list]), ...p.binds.map((b) => b.source)])
          const staged = stage.map
          const root = hostRoot ? p.root : { ...p.root, src: staged.get(p.root.list)! }
          const argv = argvFor(opts, await mountArgs(root, p.binds, p.hide, (s) => staged.get(s)!), file, args, o.cwd)
          cmd = await droppedCommand(stage, ids, bwrap, argv)
        } else {
          cmd = { file: bwrap, args: argvFor(opts, await mountArgs(p.root, p.binds, p.hide, (s) => s), file, args, o.cwd) }
        }
        return await runBwrap(cmd, file, o)
      } finally {
        if (stage) await removeStage(stage)
      }
    },
  }
}

async function runBwrap(cmd: { file: string; args: string[] }, file: string, o: Parameters<ProcessRunner['run']>[2]): Promise<{ exitCode: number }> {
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
    if (/^(mount|setpriv|unshare): /m.test(early)) throw new SandboxSetupError(detail)
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
  const r = await runner.run('true', [], { cwd: '/', env: { PATH: '/usr/bin:/bin' } })
  if (r.exitCode !== 0) throw new SandboxUnavailableError(`a test program exited with ${r.exitCode}`)
}
