// Image paths inside tar entries: split, validate and join absolute paths without `..` or NUL.
import { LadingError } from '../errors.js'
import { UnsafePathError } from './errors.js'

/**
 * Splits an absolute image path (`/layers/bp/name`) into its components (`['layers','bp','name']`);
 * `/` gives `[]`. Throws ERR_LAYER_INVALID_PATH for relative paths, `.`/`..` components, or NUL.
 */
export function imagePathComponents(p: string): string[] {
  if (typeof p !== 'string' || !p.startsWith('/') || p.includes('\0')) {
    throw new LadingError('ERR_LAYER_INVALID_PATH', `image path must be absolute: ${JSON.stringify(p)}`)
  }
  const parts = p.split('/').filter((s) => s !== '')
  if (parts.some((s) => s === '.' || s === '..')) {
    throw new LadingError('ERR_LAYER_INVALID_PATH', `image path must be normalized (no . or ..): ${JSON.stringify(p)}`)
  }
  return parts
}

/**
 * Splits a path read from a tar entry into safe relative components. A leading `./`, repeated
 * slashes and `.` components are dropped (both `./a` and `a` are valid layer names); `[]` means
 * the root itself. Throws UnsafePathError (naming `entry`) for absolute paths, `..` and NUL.
 */
export function tarPathComponents(name: string, entry: string = name): string[] {
  if (name.includes('\0')) throw new UnsafePathError(entry, 'path contains a NUL byte')
  if (name.startsWith('/')) throw new UnsafePathError(entry, 'absolute path')
  const parts = name.split('/').filter((s) => s !== '' && s !== '.')
  if (parts.includes('..')) throw new UnsafePathError(entry, 'path contains a ".." component')
  return parts
}

/**
 * Orders two slash-separated relative paths component by component, comparing each component
 * by the bytes of its UTF-8 form (not UTF-16 units, which sort some code points differently).
 * This is the order of a depth-first walk whose directories are read sorted: a directory comes
 * right before its own children.
 */
export function comparePaths(a: string, b: string): number {
  const pa = a.split('/')
  const pb = b.split('/')
  const n = Math.min(pa.length, pb.length)
  for (let i = 0; i < n; i++) {
    const c = compareNames(pa[i] ?? '', pb[i] ?? '')
    if (c !== 0) return c
  }
  return pa.length - pb.length
}

/** Orders two file names by their UTF-8 bytes. */
export function compareNames(a: string, b: string): number {
  return a === b ? 0 : Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
}
