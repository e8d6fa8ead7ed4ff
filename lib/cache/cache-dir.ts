// The build cache kept in a local directory (`--cache-dir`), saved so that a failed save keeps the old one.
import { createReadStream, createWriteStream } from 'node:fs'
import { link, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { Readable } from 'node:stream'
import type { Digest } from '../digest/index.js'
import { wrapError } from '../errors.js'
import type { Layer } from '../image/index.js'
import { decodeCacheMetadata, encodeCacheMetadata, LABELS, type CacheMetadata } from '../platform/index.js'
import type { BuildCache, CacheEntry } from './cache.js'

/**
 * The volume cache of cnb-spec.md §5.3: `<dir>/committed/<diffID>.tar` (uncompressed) and
 * `committed/io.buildpacks.lifecycle.cache.metadata`. A save writes `staging/` (reused tars are
 * hard-linked, not copied) and swaps it in with renames, so a failed save keeps the old cache.
 */
export function dirCache(dir: string): BuildCache {
  const committed = join(dir, 'committed')
  const tarPath = (d: Digest): string => join(committed, `${d}.tar`)
  const backup = join(dir, 'committed-backup')
  // A save that died between its two renames left the previous cache only in the backup: use it.
  let recovered: Promise<void> | undefined
  const recover = (): Promise<void> => (recovered ??= (async () => {
    if (!(await stat(committed).catch(() => undefined)) && await stat(backup).catch(() => undefined)) await rename(backup, committed)
  })())
  return {
    kind: 'dir',
    describe: () => dir,
    async metadata() {
      await recover()
      const text = await readFile(join(committed, LABELS.CACHE_METADATA), 'utf8').catch(() => undefined)
      return text ? decodeCacheMetadata(text).value : { buildpacks: [] }
    },
    async open(diffId): Promise<Readable | undefined> {
      await recover()
      const st = await stat(tarPath(diffId)).catch(() => undefined)
      return st ? createReadStream(tarPath(diffId)) : undefined
    },
    async reuse(diffId) {
      await recover()
      const st = await stat(tarPath(diffId)).catch(() => undefined)
      return st ? tarFileLayer(tarPath(diffId), diffId, st.size) : undefined
    },
    async save(entries: CacheEntry[], md: CacheMetadata) {
      const staging = join(dir, 'staging')
      try {
        await recover()
        await rm(staging, { recursive: true, force: true })
        await mkdir(staging, { recursive: true })
        for (const { layer } of entries) {
          const diffId = await layer.diffId()
          const to = join(staging, `${diffId}.tar`)
          if (await stat(to).catch(() => undefined)) continue
          const old = tarPath(diffId)
          if (await stat(old).catch(() => undefined)) {
            await link(old, to)
            continue
          }
          await pipeline(await layer.uncompressed(), createWriteStream(to))
        }
        await writeFile(join(staging, LABELS.CACHE_METADATA), encodeCacheMetadata(md))
        await rm(backup, { recursive: true, force: true })
        await rename(committed, backup).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err
        })
        await rename(staging, committed)
        await rm(backup, { recursive: true, force: true })
      } catch (err) {
        throw wrapError(`save cache ${dir}`, err)
      }
    },
  }
}

/** A layer backed by an uncompressed tar file whose diffID is known. */
function tarFileLayer(path: string, diffId: Digest, size: number): Layer {
  return {
    mediaType: 'application/vnd.oci.image.layer.v1.tar',
    digest: async () => diffId,
    diffId: async () => diffId,
    size: async () => size,
    compressed: async () => createReadStream(path),
    uncompressed: async () => createReadStream(path),
  }
}
