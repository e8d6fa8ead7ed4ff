// Tells a "not found" from other store errors, whatever store raised it.
import { LadingError } from '../errors.js'

const NOT_FOUND = new Set(['ERR_REGISTRY_NOT_FOUND', 'ERR_NOT_FOUND', 'ERR_LAYOUT_NOT_FOUND'])

/**
 * True when `err` says the image (or repository, or layout) does not exist, in any store. Used
 * where absence is a normal case (no previous image, first build without cache).
 */
export function isNotFound(err: unknown): boolean {
  // `seen` ends a cause chain that loops back on itself.
  const seen = new Set<unknown>()
  for (let e: unknown = err; e && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e)
    if (e instanceof LadingError && NOT_FOUND.has(e.code)) return true
  }
  return false
}
