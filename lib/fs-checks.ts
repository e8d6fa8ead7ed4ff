/** Small file-system questions asked all over lib/, answered one way. */
import { stat } from 'node:fs/promises'

/** True when `p` exists (symlinks followed); false only for ENOENT, other errors throw. */
export async function pathExists(p: string): Promise<boolean> {
  try {
    await stat(p)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw err
  }
}

/** True when `p` is a regular file (symlinks followed); any error means no. */
export async function isFile(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isFile() ?? false
}

/** True when `p` is a directory (symlinks followed); any error means no. */
export async function isDir(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isDirectory() ?? false
}
