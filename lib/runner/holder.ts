/** The short-lived root process that makes a stage's mounts (stage.ts) in a private mount namespace:
 * `unshare --mount --propagation private -- sh`, started first so that its start-up overlaps with
 * laying out the stage. It makes the overlays' whiteout device (when asked), says "made", reads
 * the fstab's path from its stdin, mounts everything with one `mount -a`, says "ready", and waits
 * for its stdin to close; meanwhile we open its namespace, which our descriptor then keeps alive.
 */
import { spawn } from 'node:child_process'
import { openSync } from 'node:fs'
import { LadingError } from '../errors.js'
import { findTool } from './privilege.js'

// $1 mount, $2 mknod, $3 the whiteout to make (or empty)
const SCRIPT = '[ -z "$3" ] || "$2" -- "$3" c 0 0 || exit 125; echo made; read -r f || exit 125; ' +
  '"$1" -n -a -T "$f" || exit 125; echo ready; read -r _ || :'

function setupError(detail: string): LadingError {
  return new LadingError('ERR_SANDBOX_SETUP', `cannot set up the buildpack sandbox: ${detail}`)
}

/** A started holder. */
export interface Holder {
  /** Resolves once the whiteout (if one was asked for) exists; rejects when the holder failed. */
  made: Promise<void>
  /** Mounts what the fstab at `path` lists; resolves with a descriptor of the namespace. */
  mount(path: string): Promise<number>
  /** Stops the holder without mounting anything (the stage could not be laid out). */
  stop(): void
}

/** Starts a holder; `whiteout`: where to make the overlays' 0/0 character device, if any. */
export async function startHolder(whiteout: string | undefined): Promise<Holder> {
  const unshare = await findTool('unshare', ['/usr/bin/unshare', '/bin/unshare'])
  const mount = await findTool('mount', ['/usr/bin/mount', '/bin/mount'])
  const mknod = whiteout ? await findTool('mknod', ['/usr/bin/mknod', '/bin/mknod']) : ''
  const child = spawn(unshare, ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', SCRIPT, 'lading-stage', mount, mknod, whiteout ?? ''], {
    stdio: ['pipe', 'pipe', 'pipe'], env: {},
  })
  let out = ''
  let err = ''
  let fd: number | undefined
  let failure: LadingError | undefined
  let onMade: { resolve: () => void; reject: (e: Error) => void } | undefined
  let onReady: { resolve: (fd: number) => void; reject: (e: Error) => void } | undefined
  const made = new Promise<void>((resolve, reject) => { onMade = { resolve, reject } })
  // a holder that fails before anyone waits for it must not be an unhandled rejection
  made.catch(() => {})
  const fail = (e: LadingError): void => {
    failure ??= e
    onMade?.reject(failure)
    onReady?.reject(failure)
  }
  child.stderr.on('data', (b: Buffer) => { if (err.length < 4096) err += b.toString('utf8') })
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString('utf8')
    if (out.includes('made\n')) onMade?.resolve()
    if (fd !== undefined || !out.includes('ready\n')) return
    try {
      fd = openSync(`/proc/${child.pid}/ns/mnt`, 'r')
    } catch (e) {
      child.kill('SIGKILL')
      fail(setupError(`cannot open the staging mount namespace: ${(e as Error).message}`))
      return
    }
    child.stdin.end()
  })
  child.stdin.on('error', () => {
    // the holder exited early; 'close' reports why
  })
  child.on('error', (e) => fail(setupError(`cannot start ${unshare}: ${e.message}`)))
  child.on('close', (code) => {
    if (fd !== undefined) onReady?.resolve(fd)
    else fail(setupError(`staging the mounts failed (exit ${code}): ${err.trim() || 'no message'}`))
  })
  return {
    made,
    mount(path) {
      const ready = new Promise<number>((resolve, reject) => { onReady = { resolve, reject } })
      if (path.includes('\n')) fail(setupError(`the stage path cannot hold a newline: ${JSON.stringify(path)}`))
      if (failure) onReady!.reject(failure)
      else child.stdin.write(`${path}\n`)
      return ready
    },
    stop() {
      child.stdin.end()
    },
  }
}
