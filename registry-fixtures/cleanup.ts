import type { ChildProcess } from 'node:child_process'
import { rmSync } from 'node:fs'

// Last-resort cleanup when the test process exits without calling stop(): kill what we started
// (by pid, never by name) and remove temp dirs. Normal paths unregister before they clean up.
const children = new Set<ChildProcess>()
const dirs = new Set<string>()
let installed = false

function cleanupNow(): void {
  for (const c of children) {
    try { c.kill('SIGKILL') } catch { /* already gone */ }
  }
  children.clear()
  for (const d of dirs) {
    try { rmSync(d, { recursive: true, force: true }) } catch { /* best effort at exit */ }
  }
  dirs.clear()
}

function install(): void {
  if (installed) return
  installed = true
  // Only 'exit': signal handlers would change how tap's runner ends us. Children are also started
  // under `setpriv --pdeathsig KILL`, which covers deaths that skip 'exit' (signals, SIGKILL).
  process.on('exit', cleanupNow)
}

/** Registers a child process to be SIGKILLed if the test process exits first. */
export function trackChild(child: ChildProcess): void {
  install()
  children.add(child)
  child.once('exit', () => children.delete(child))
}

/** Stops tracking a child (call before a deliberate stop). */
export function untrackChild(child: ChildProcess): void {
  children.delete(child)
}

/** Registers a temp dir to be removed if the test process exits first. */
export function trackDir(dir: string): void {
  install()
  dirs.add(dir)
}

/** Stops tracking a temp dir (call after removing it). */
export function untrackDir(dir: string): void {
  dirs.delete(dir)
}
