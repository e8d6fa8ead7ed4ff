// Tree fingerprints: a cheap check of whether a restored layer directory changed during the build.
import { createHash } from 'node:crypto'
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { join } from 'node:path'

/** Files up to this size are compared by content; larger ones by inode, size and times. */
const SMALL = 64 * 1024
/** Entries between two turns of the event loop. */
const SLICE = 512

/**
 * A cheap change detector for a directory tree: every entry's path, type and mode; the content of
 * small files (buildpacks rewrite env and metadata files with the same bytes on every build); for
 * large files their inode, size, mtime and ctime (nanoseconds), so they are never read; symlink
 * targets. Taken right after a layer is restored and again after the build: equal values mean the
 * layer's tar is unchanged, so its restored diffID still holds and it need not be tarred again.
 *
 * Synchronous calls, in slices: a layer of a few thousand small files (Node's headers, a package
 * cache) took ~0.3 s per walk through the promise API's thread-pool round trips, and a rebuild
 * walks each restored layer about four times; this way a walk costs tens of milliseconds and
 * still lets uploads and timers run between slices.
 */
export async function treeFingerprint(dir: string): Promise<string> {
  const h = createHash('sha256')
  let done = 0
  const walk = async (rel: string): Promise<void> => {
    const names = readdirSync(join(dir, rel)).sort()
    for (const name of names) {
      if (++done % SLICE === 0) await new Promise<void>((ok) => setImmediate(ok))
      const r = rel ? `${rel}/${name}` : name
      const p = join(dir, r)
      const st = lstatSync(p, { bigint: true })
      h.update(`${r}\0${st.mode}\0`)
      if (st.isSymbolicLink()) h.update(`${readlinkSync(p)}\0`)
      else if (st.isDirectory()) await walk(r)
      else if (st.size <= SMALL) h.update(readFileSync(p)).update('\0')
      else h.update(`${st.size}\0${st.ino}\0${st.mtimeNs}\0${st.ctimeNs}\0`)
    }
  }
  h.update(`${lstatSync(dir).mode}\0`)
  await walk('')
  return h.digest('hex')
}
