/** Temp dirs for tests: a work dir for a test file or a subtest, and an app dir with given files, removed when it ends. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
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

/** A temp app directory holding `files` (name → content), removed when `t` ends. */
export function appDir(t: T, files: Record<string, string>, name = 'app'): string {
  const dir = mkdtempSync(join(tmpdir(), `lading-${name}-`))
  for (const [f, c] of Object.entries(files)) writeFileSync(join(dir, f), c)
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}
