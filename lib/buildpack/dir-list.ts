import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'

/** The entry names of `dir` in byte order (readdir order is not sorted); a missing dir yields []. */
export async function sortedNames(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort()
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return []
    throw err
  }
}

/** True when `p` is a regular file (symlinks followed). */
export async function isFile(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isFile() ?? false
}

/** True when `p` is a directory (symlinks followed). */
export async function isDir(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isDirectory() ?? false
}

/** The names of the regular files in `dir`, sorted; a missing dir yields []. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const n of await sortedNames(dir)) if (await isFile(join(dir, n))) out.push(n)
  return out
}

/** The names of the directories in `dir`, sorted; a missing dir yields []. */
export async function listDirs(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const n of await sortedNames(dir)) if (await isDir(join(dir, n))) out.push(n)
  return out
}
