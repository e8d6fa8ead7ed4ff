// Sorted directory listings (names, files, dirs) so buildpack files are read in a deterministic order.
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { isDir, isFile } from '../fs-checks.js'

export { isDir, isFile }

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
