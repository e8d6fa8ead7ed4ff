/** The `--no-sandbox` ProcessRunner: buildpack programs run directly on the host (for CI jobs that
 * already run inside a build image), with exactly the environment they are given.
 */
import { spawn } from 'node:child_process'
import { constants } from 'node:os'
import type { Readable } from 'node:stream'
import { StringDecoder } from 'node:string_decoder'
import { LadingError } from '../errors.js'
import type { ProcessRunner, RunOptions, RunResult } from './types.js'

/** Extra spawn knobs for runners built on spawnProcess (the sandbox). */
export interface SpawnExtras {
  /** Collect what the child writes to its file descriptor 3 (bwrap's --json-status-fd). */
  statusFd?: boolean
}

/** What spawnProcess observed. */
export interface SpawnResult extends RunResult {
  /** Text written to fd 3, when `statusFd` was asked for. */
  status: string
}

// Grandchildren that outlive the process and keep its pipes open must not hang a build forever.
const CLOSE_GRACE_MS = 2000

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return
  try {
    process.kill(-pid, 'SIGKILL')
  } catch (err) {
    // ESRCH: the group is already gone, which is the outcome we want
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err
  }
}

function abortedError(file: string): LadingError {
  return new LadingError('ERR_ABORTED', `${file}: aborted`)
}

/**
 * Spawns `file` in a new session and process group with exactly `o.env` (nothing inherited),
 * stdin closed, stdout+stderr merged into `o.onOutput`. When the process exits, the rest of its
 * process group is killed (as a container's end would). Abort kills the group and rejects with
 * ERR_ABORTED; a spawn failure rejects with ERR_PROCESS_SPAWN. Otherwise resolves with the exit
 * code (128 + signal number when killed by a signal).
 */
export function spawnProcess(file: string, args: readonly string[], o: RunOptions, extras: SpawnExtras = {}): Promise<SpawnResult> {
  if (o.signal?.aborted) return Promise.reject(abortedError(file))
  return new Promise<SpawnResult>((resolve, reject) => {
    const child = spawn(file, [...args], {
      cwd: o.cwd,
      env: { ...o.env },
      detached: true,
      stdio: extras.statusFd ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'],
    })
    let status = ''
    let aborted = false
    let exited: RunResult | undefined
    let settled = false
    let graceTimer: NodeJS.Timeout | undefined
    const streams = [child.stdout, child.stderr].filter((s): s is Readable => s !== null)
    for (const s of streams) {
      const dec = new StringDecoder('utf8')
      s.on('data', (b: Buffer) => {
        const text = dec.write(b)
        if (text && o.onOutput) o.onOutput(text)
      })
      s.on('end', () => {
        const rest = dec.end()
        if (rest && o.onOutput) o.onOutput(rest)
      })
    }
    const statusStream = extras.statusFd ? (child.stdio[3] as Readable | null) : null
    statusStream?.on('data', (b: Buffer) => { status += b.toString('utf8') })

    const onAbort = (): void => {
      aborted = true
      killGroup(child.pid)
    }
    o.signal?.addEventListener('abort', onAbort, { once: true })

    const finish = (err?: unknown): void => {
      if (settled) return
      settled = true
      if (graceTimer) clearTimeout(graceTimer)
      o.signal?.removeEventListener('abort', onAbort)
      if (err !== undefined) reject(err)
      else if (aborted) reject(abortedError(file))
      else resolve({ exitCode: exited?.exitCode ?? 1, status })
    }
    child.on('error', (err) => {
      finish(new LadingError('ERR_PROCESS_SPAWN', `cannot start ${file}: ${err.message}`, { cause: err }))
    })
    child.on('exit', (code, signal) => {
      const signo = signal ? (constants.signals as Record<string, number>)[signal] ?? 0 : 0
      exited = { exitCode: code ?? 128 + signo }
      killGroup(child.pid)
      graceTimer = setTimeout(() => {
        for (const s of [...streams, statusStream]) s?.destroy()
        finish()
      }, CLOSE_GRACE_MS)
      graceTimer.unref()
    })
    child.on('close', () => finish())
  })
}

/**
 * Returns the host ProcessRunner: each run is spawnProcess with the caller's cwd and env (host
 * paths; the caller arranges /workspace, /layers, ... to exist at the real paths).
 */
export function createHostRunner(): ProcessRunner {
  return {
    async run(file, args, o) {
      const r = await spawnProcess(file, args, o)
      return { exitCode: r.exitCode }
    },
  }
}
