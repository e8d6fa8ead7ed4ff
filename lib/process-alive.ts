// Whether a process id is still running: how lock and partial-file owners left by dead runs are recognized.

/** True when `pid` exists, including a process of another user (EPERM); false when it is gone. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: it exists but is someone else's
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
