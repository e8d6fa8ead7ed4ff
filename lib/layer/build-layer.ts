// Runs a tar producer into the store in one pass: diffID, gzip, digest and size from a single read.
import { wrapError } from '../errors.js'
import { storeLayerBlob } from './store-blob.js'
import { storedLayer, type StoredLayer } from './stored-layer.js'
import { TarWriter } from './tar-writer.js'

/** Where and how build-layer stores what it makes. */
export interface BuildLayerOptions { storeDir: string; gzipLevel?: number; mtime?: Date }

/**
 * Runs `produce` (which adds entries to a TarWriter) concurrently with storing the writer's
 * stream, and returns the stored layer. Either side failing stops the other: a producer error
 * aborts the tar, a store error closes it under the producer. The error reported is the one
 * that caused the failure (a producer's "tar closed" is only a consequence), wrapped with
 * `context`.
 */
export async function buildStoredLayer(produce: (w: TarWriter) => Promise<void>, opts: BuildLayerOptions,
  context: string): Promise<StoredLayer> {
  const writer = new TarWriter(opts.mtime ? { mtime: opts.mtime } : {})
  const producing = (async () => {
    try {
      await produce(writer)
      writer.finish()
    } catch (err) {
      writer.abort(err instanceof Error ? err : new Error(String(err)))
      throw err
    }
  })()
  const [p, s] = await Promise.allSettled([producing, storeLayerBlob(writer.stream, opts.storeDir, opts.gzipLevel)])
  const closed = p.status === 'rejected' && (p.reason as { code?: string } | undefined)?.code === 'ERR_LAYER_TAR_CLOSED'
  if (p.status === 'rejected' && !(closed && s.status === 'rejected')) throw wrapError(context, p.reason)
  if (s.status === 'rejected') throw wrapError(context, s.reason)
  return storedLayer(s.value.path, { digest: s.value.digest, diffId: s.value.diffId, size: s.value.size })
}
