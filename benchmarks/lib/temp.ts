// Benchmark scratch directories, removed on SIGINT and SIGTERM too: a cancelled benchmark leaves nothing in the temp dir.
import { rmSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const live = new Set<string>()
const runs = new Set<number>()
let hooked = false

/**
 * Kills the timed commands still running (each in a process group of its own), then removes
 * every scratch dir and exits as a shell would after the signal (130, 143). The kill comes first:
 * a command left running (say a lading rebase whose HOME is a scratch dir) writes its files
 * again after they were removed.
 */
function onSignal(signal: NodeJS.Signals, code: number): void {
  cleanUp()
  process.stderr.write(`benchmark stopped by ${signal}; its scratch directories were removed\n`)
  // Exiting runs the registry fixtures' exit hook, which stops the registries they started.
  process.exit(code)
}

/**
 * Registers a command the benchmark started with `detached: true` (so its pid is its process
 * group) to be killed with its children if the benchmark is stopped by a signal; call the result
 * when it exits.
 */
export function trackRun(pid: number): () => void {
  hook()
  runs.add(pid)
  return () => runs.delete(pid)
}

/** SIGKILLs every timed command still running, with its children, then removes the scratch dirs. */
function cleanUp(): void {
  for (const pid of runs) {
    try {
      process.kill(-pid, 'SIGKILL')
    } catch {
      // No such group: gone, or forked a moment ago and not yet its own group leader, so the pid itself.
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // gone
      }
    }
  }
  runs.clear()
  for (const dir of live) rmSync(dir, { recursive: true, force: true })
  live.clear()
}

function hook(): void {
  if (hooked) return
  hooked = true
  // A benchmark that ends any other way (a thrown error) leaves nothing running or behind either.
  process.on('exit', cleanUp)
  // `on`, not `once`: with no listener left Node restores the default action, and the same signal
  // sent again (Ctrl-C reaches tsx too, which passes it on) would kill the benchmark in the middle
  // of removing its directories. Cleaning up ends in process.exit, so a second one never runs.
  process.on('SIGINT', () => onSignal('SIGINT', 130))
  process.on('SIGTERM', () => onSignal('SIGTERM', 143))
}

/** A new `$TMPDIR/lading-bench-NAME-XXXXXX`; the caller removes it when done, a signal removes it otherwise. */
export async function benchDir(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `lading-bench-${name}-`))
  live.add(dir)
  hook()
  return dir
}
