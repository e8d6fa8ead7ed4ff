/** A content digest of a source directory (paths, executable bits, symlink targets, file bytes),
 * so a fleet can tell that a `path` source changed without any local database: the digest is
 * recorded in the image and compared next time.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { lstat, readdir, readlink } from 'node:fs/promises'
import { join } from 'node:path'

/** Returns `sha256:<hex>` over the tree at `dir`; throws ENOENT when it does not exist. */
export async function treeDigest(dir: string): Promise<string> {
  const h = createHash('sha256')
  await walk(dir, '', h)
  return `sha256:${h.digest('hex')}`
}

async function walk(root: string, rel: string, h: ReturnType<typeof createHash>): Promise<void> {
  const names = (await readdir(join(root, rel))).sort()
  for (const name of names) {
    const r = rel ? `${rel}/${name}` : name
    const p = join(root, r)
    const st = await lstat(p)
    if (st.isDirectory()) {
      h.update(`d ${r}\0`)
      await walk(root, r, h)
    } else if (st.isSymbolicLink()) {
      h.update(`l ${r}\0${await readlink(p)}\0`)
    } else if (st.isFile()) {
      h.update(`f ${r}\0${st.mode & 0o111 ? 'x' : '-'}${st.size}\0`)
      for await (const chunk of createReadStream(p)) h.update(chunk as Buffer)
    }
  }
}
