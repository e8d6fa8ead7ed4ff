// OCI whiteouts: recognizes `.wh.` files and opaque-directory markers and applies them on extraction.
import { readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { LadingError } from '../errors.js'
import { UnsafePathError } from './errors.js'
import { lstatOrUndefined, type SafeRoot } from './safe-root.js'

/** Prefix of a whiteout file name (OCI image-spec layer.md, "Whiteouts"). */
export const WHITEOUT_PREFIX = '.wh.'
/** Name of the opaque-directory marker. */
export const OPAQUE_WHITEOUT = '.wh..wh..opq'

/**
 * Applies one whiteout entry `<parent>/<base>` to the tree under `root`. `.wh.<name>` removes
 * `<name>` (recursively, never following symlinks) unless this same layer wrote it; the opaque
 * marker removes everything in the directory that this layer did not write (`written` holds
 * root-relative real paths of what this layer created so far). A missing parent means there is
 * nothing to hide. Throws UnsafePathError for `.wh..`/`.wh..` and ERR_LAYER_INVALID_WHITEOUT
 * for a bare `.wh.`.
 */
export async function applyWhiteout(root: SafeRoot, parentParts: string[], base: string, entry: string,
  written: ReadonlySet<string>): Promise<void> {
  const dir = await root.dir(parentParts, entry, false)
  if (base === OPAQUE_WHITEOUT) {
    if (dir !== undefined) await clearLower(root, dir, written)
    root.forget()
    return
  }
  const name = base.slice(WHITEOUT_PREFIX.length)
  if (name === '') throw new LadingError('ERR_LAYER_INVALID_WHITEOUT', `tar entry ${JSON.stringify(entry)}: bare whiteout`)
  if (name === '.' || name === '..') throw new UnsafePathError(entry, `whiteout of ${JSON.stringify(name)}`)
  if (dir === undefined) return
  const victim = join(dir, name)
  if (written.has(root.rel(victim))) return
  await rm(victim, { recursive: true, force: true })
  root.forget()
}

/** Removes what is in `dir` but was not written by this layer, keeping this layer's subtrees. */
async function clearLower(root: SafeRoot, dir: string, written: ReadonlySet<string>): Promise<void> {
  for (const name of await readdir(dir)) {
    const p = join(dir, name)
    if (!written.has(root.rel(p))) {
      await rm(p, { recursive: true, force: true })
      continue
    }
    const st = await lstatOrUndefined(p)
    if (st?.isDirectory()) await clearLower(root, p, written)
  }
}
