/** Shared set-up for the cache tests: one-file cache layers, cache metadata, reading a layer back. */
import type { Readable } from 'node:stream'
import { layerFromEntries } from '../../lib/layer/index.js'
import type { CacheMetadata } from '../../lib/platform/index.js'

/** A layer holding one file in buildpack `bp`'s layer `name`, its blobs kept in `storeDir`. */
export const cacheLayer = (storeDir: string, name: string, content: string) =>
  layerFromEntries([{ path: `/layers/bp/${name}/f`, type: 'file', content }], { storeDir })

/** Cache metadata for buildpack `bp` 1.0.0 with one cache layer `l`. */
export const cacheMetadata = (sha: string, data: Record<string, unknown>, build: boolean): CacheMetadata => ({
  buildpacks: [{ key: 'bp', version: '1.0.0', layers: { l: { sha, data, build, launch: false, cache: true } } }],
})

/** Reads a stream fully (a missing one is a test failure). */
export async function readAll(s: Readable | undefined): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of s!) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}
