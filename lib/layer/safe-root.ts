// The extraction root: resolves parent directories without ever writing through a link that leads out.
import { lstat, mkdir, realpath, stat } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'
import { LadingError, wrapError } from '../errors.js'
import { UnsafePathError } from './errors.js'

/**
 * The extraction root, and the one place that turns a tar entry's parent path into a real
 * directory on disk. Every component is checked with lstat: real directories are entered,
 * missing ones created (when asked), and symlinks are followed only when their full resolution
 * (realpath) stays inside the root, so nothing is ever written through a link that leads out.
 * Resolved directories are cached; `forget()` must be called after anything that existed is
 * removed or replaced, since a cached path may have gone through it.
 * Not safe against other processes changing the tree during extraction.
 */
export class SafeRoot {
  readonly #cache = new Map<string, string>()

  private constructor(readonly real: string) {}

  /** Creates `destDir` if needed and returns a SafeRoot at its real path. */
  static async open(destDir: string): Promise<SafeRoot> {
    try {
      await mkdir(destDir, { recursive: true })
      const real = await realpath(destDir)
      if (!(await stat(real)).isDirectory()) throw new LadingError('ERR_LAYER_NOT_A_DIRECTORY', `not a directory: ${destDir}`)
      return new SafeRoot(real)
    } catch (err) {
      throw wrapError(`open extraction root ${destDir}`, err)
    }
  }

  /** True when the absolute real path `p` is the root or below it. */
  contains(p: string): boolean {
    if (p === this.real) return true
    return p.startsWith(this.real.endsWith(sep) ? this.real : this.real + sep)
  }

  /** `p` (absolute, inside the root) relative to the root, POSIX style; '' for the root. */
  rel(p: string): string {
    return relative(this.real, p).split(sep).join('/')
  }

  /** Drops cached resolutions (call after removing or replacing a directory or symlink). */
  forget(): void {
    this.#cache.clear()
  }

  /**
   * Returns the real path of the directory at `parts` below the root. Missing components are
   * created with mode 0o755 when `create` is set (each reported to `onCreate`), otherwise the
   * result is undefined. Throws UnsafePathError naming `entry` when a component is a symlink
   * that resolves outside the root or dangles, and ERR_LAYER_EXTRACT when a component is an
   * existing non-directory.
   */
  async dir(parts: readonly string[], entry: string, create: boolean, onCreate?: (p: string) => void): Promise<string | undefined> {
    let cur = this.real
    let key = ''
    for (const part of parts) {
      key = key === '' ? part : `${key}/${part}`
      const cached = this.#cache.get(key)
      if (cached !== undefined) {
        cur = cached
        continue
      }
      const p = join(cur, part)
      const st = await lstatOrUndefined(p)
      if (!st) {
        if (!create) return undefined
        await mkdir(p, { mode: 0o755 })
        onCreate?.(p)
        cur = p
      } else if (st.isDirectory()) {
        cur = p
      } else if (st.isSymbolicLink()) {
        cur = await this.#follow(p, key, entry)
      } else {
        throw new LadingError('ERR_LAYER_EXTRACT', `tar entry ${JSON.stringify(entry)}: parent ${key} exists and is not a directory`)
      }
      this.#cache.set(key, cur)
    }
    return cur
  }

  async #follow(p: string, key: string, entry: string): Promise<string> {
    let real: string
    try {
      real = await realpath(p)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ELOOP') {
        throw new UnsafePathError(entry, `parent ${key} is a symlink that does not resolve`)
      }
      throw wrapError(`resolve ${p}`, err)
    }
    if (!this.contains(real)) throw new UnsafePathError(entry, `parent ${key} is a symlink that resolves outside the destination`)
    if (!(await stat(real)).isDirectory()) {
      throw new LadingError('ERR_LAYER_EXTRACT', `tar entry ${JSON.stringify(entry)}: parent ${key} is a symlink to a non-directory`)
    }
    return real
  }
}

/** lstat, with undefined for a missing path (other errors throw). */
export async function lstatOrUndefined(p: string): Promise<import('node:fs').Stats | undefined> {
  try {
    return await lstat(p)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}
