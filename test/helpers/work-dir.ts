/** A temp work dir for a test file or a subtest, removed when it ends. */
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

type T = { teardown(fn: () => unknown): void }

/**
 * Makes `lading-<name>-…` under the temp dir and removes it when `t` ends. It is made writable
 * again first: some tests lock a folder in it to see a write fail.
 */
export async function workDir(t: T, name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `lading-${name}-`))
  t.teardown(async () => {
    await chmod(dir, 0o755).catch(() => {})
    await rm(dir, { recursive: true, force: true })
  })
  return dir
}
