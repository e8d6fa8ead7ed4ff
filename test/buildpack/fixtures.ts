import { spawn } from 'node:child_process'
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { ProcessRunner } from '../../lib/buildpack/index.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

/** Creates a temp dir removed when the test ends. */
export async function tempDir(t: Teardown): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'lading-bp-'))
  t.teardown(() => rm(d, { recursive: true, force: true }))
  return d
}

/** A file to write: text, or text with a mode. */
export type TreeEntry = string | { content: string; mode: number }

/** Writes `files` (relative path → content; a trailing '/' makes a directory) under `root`. */
export async function writeTree(root: string, files: Record<string, TreeEntry>): Promise<void> {
  for (const [rel, entry] of Object.entries(files)) {
    const p = join(root, rel)
    if (rel.endsWith('/')) {
      await mkdir(p, { recursive: true })
      continue
    }
    await mkdir(dirname(p), { recursive: true })
    const content = typeof entry === 'string' ? entry : entry.content
    await writeFile(p, content)
    if (typeof entry !== 'string') await chmod(p, entry.mode)
  }
}

/** A temp dir removed when the test ends, with `files` written under its `under` folder; returns that folder. */
export async function tempTree(t: Teardown, under: string, files: Record<string, TreeEntry>): Promise<string> {
  const root = join(await tempDir(t), under)
  await writeTree(root, files)
  return root
}

/** Returns a bash script entry with mode 0755. */
export function script(body: string): TreeEntry {
  return { content: `#!/usr/bin/env bash\nset -eu\n${body}\n`, mode: 0o755 }
}

/** A ProcessRunner that spawns directly on the host (no sandbox), merging stdout and stderr. */
export const hostRunner: ProcessRunner = {
  run(file, args, o) {
    return new Promise((resolve, reject) => {
      const child = spawn(file, [...args], { cwd: o.cwd, env: o.env, stdio: ['ignore', 'pipe', 'pipe'], signal: o.signal })
      child.stdout.setEncoding('utf8')
      child.stderr.setEncoding('utf8')
      child.stdout.on('data', (d: string) => o.onOutput?.(d))
      child.stderr.on('data', (d: string) => o.onOutput?.(d))
      child.on('error', reject)
      child.on('close', (code) => resolve({ exitCode: code ?? -1 }))
    })
  },
}

/** Returns buildpack.toml text for a component buildpack. */
export function bpToml(id: string, version: string, api = '0.10', extra = ''): string {
  return `api = "${api}"\n[buildpack]\nid = "${id}"\nversion = "${version}"\n${extra}\n`
}
