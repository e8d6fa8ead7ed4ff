// Benchmark scratch directories, removed on SIGINT and SIGTERM too: a cancelled benchmark leaves nothing in the temp dir.
import { rmSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const live = new Set<string>()
let hooked = false

/** Removes every scratch dir still there, then exits as a shell would after the signal (130, 143). */
function onSignal(signal: NodeJS.Signals, code: number): void {
  for (const dir of live) rmSync(dir, { recursive: true, force: true })
  process.stderr.write(`benchmark stopped by ${signal}; its scratch directories were removed\n`)
  // Exiting runs the registry fixtures' exit hook, which stops the registries they started.
  process.exit(code)
}

/** A new `$TMPDIR/lading-bench-NAME-XXXXXX`; the caller removes it when done, a signal removes it otherwise. */
export async function benchDir(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `lading-bench-${name}-`))
  live.add(dir)
  if (!hooked) {
    hooked = true
    process.once('SIGINT', () => onSignal('SIGINT', 130))
    process.once('SIGTERM', () => onSignal('SIGTERM', 143))
  }
  return dir
}
