// Runs a tar producer into the store in one pass: diffID, gzip, digest and size from a single read.
import { wrapError } from '../errors.js'
import { LayerBlobWriter } from './store-blob.js'
import { storedLayer, type StoredLayer } from './stored-layer.js'
import { TarWriter } from './tar-writer.js'

/** Where and how build-layer stores what it makes. */
export interface BuildLayerOptions { storeDir: string; gzipLevel?: number; mtime?: Date }

/**
 * Runs `produce` (which adds entries to a TarWriter) with the writer feeding the store directly
 * (LayerBlobWriter: no streams in between), and returns the stored layer. Either side failing
 * stops the other: a producer error removes the half-written blob, a store error (it carries the
 * context `store layer in …`) is thrown into the producer's next write and so ends it. The error
 * reported is the one that caused the failure, wrapped with `context`.
 */
export async function buildStoredLayer(produce: (w: TarWriter) => Promise<void>, opts: BuildLayerOptions,
  context: string): Promise<StoredLayer> {
  const blob = await LayerBlobWriter.create(opts.storeDir, opts.gzipLevel).catch((err: unknown) => { throw wrapError(context, err) })
  try {
    const writer = new TarWriter({ ...(opts.mtime ? { mtime: opts.mtime } : {}), sink: blob })
    await produce(writer)
    writer.finish()
    const s = await blob.finish()
    return storedLayer(s.path, { digest: s.digest, diffId: s.diffId, size: s.size })
  } catch (err) {
    await blob.abort(err)
    throw wrapError(context, err)
  }
}
