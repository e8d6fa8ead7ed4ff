// Tree fingerprints: a cheap check of whether a restored layer directory changed during the build.
import { createHash } from 'node:crypto'
import { lstat, readdir, readFile, readlink } from 'node:fs/promises'
import { join } from 'node:path'

/** Files up to this size are compared by content; larger ones by inode, size and times. */
const SMALL = 64 * 1024

/**
 * A cheap change detector for a directory tree: every entry's path, type and mode; the content of
 * small files (buildpacks rewrite env and metadata files with the same bytes on every build); for
 * large files their inode, size, mtime and ctime (nanoseconds), so they are never read; symlink
 * targets. Taken right after a layer is restored and again after the build: equal values mean the
 * layer's tar is unchanged, so its restored diffID still holds and it need not be tarred again.
 */
export async function treeFingerprint(dir: string): Promise<string> {
  const h = createHash('sha256')
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(join(dir, rel))).sort()
    for (const name of names) {
      const r = rel ? `${rel}/${name}` : name
      const p = join(dir, r)
      const st = await lstat(p, { bigint: true })
      h.update(`${r}\0${st.mode}\0`)
      if (st.isSymbolicLink()) h.update(`${await readlink(p)}\0`)
      else if (st.isDirectory()) await walk(r)
      else if (st.size <= SMALL) h.update(await readFile(p)).update('\0')
      else h.update(`${st.size}\0${st.ino}\0${st.mtimeNs}\0${st.ctimeNs}\0`)
    }
  }
  h.update(`${(await lstat(dir)).mode}\0`)
  await walk('')
  return h.digest('hex')
}
