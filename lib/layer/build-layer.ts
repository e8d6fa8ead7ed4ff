// Runs a tar producer into the store in one pass: diffID, gzip, digest and size from a single read.
import { LadingError, wrapError } from '../errors.js'
import { LayerBlobWriter } from './store-blob.js'
import { storedLayer, type StoredLayer } from './stored-layer.js'
import { TarWriter } from './tar-writer.js'

/** Where and how build-layer stores what it makes. */
export interface BuildLayerOptions {
  storeDir: string
  gzipLevel?: number
  mtime?: Date
  /** Stops the layer mid-file (a big file is not read to its end first); the temp blob is removed. */
  signal?: AbortSignal
}

/**
 * Runs `produce` (which adds entries to a TarWriter) with the writer feeding the store directly
 * (LayerBlobWriter: no streams in between), and returns the stored layer. Either side failing
 * stops the other: a producer error removes the half-written blob, a store error (it carries the
 * context `store layer in …`) is thrown into the producer's next write and so ends it. The error
 * reported is the one that caused the failure, wrapped with `context`.
 */
export async function buildStoredLayer(produce: (w: TarWriter) => Promise<void>, opts: BuildLayerOptions,
  context: string): Promise<StoredLayer> {
  opts.signal?.throwIfAborted()
  const blob = await LayerBlobWriter.create(opts.storeDir, opts.gzipLevel).catch((err: unknown) => { throw wrapError(context, err) })
  const writer = new TarWriter({ ...(opts.mtime ? { mtime: opts.mtime } : {}), sink: blob })
  // Failing the sink makes the producer's next read-and-commit throw: a signal stops a 10 GiB file
  // within one 256 KiB read, not when its last byte is compressed.
  const onAbort = (): void => writer.abort(abortReason(opts.signal!))
  opts.signal?.addEventListener('abort', onAbort, { once: true })
  try {
    await produce(writer)
    opts.signal?.throwIfAborted()
    writer.finish()
    const s = await blob.finish()
    return storedLayer(s.path, { digest: s.digest, diffId: s.diffId, size: s.size })
  } catch (err) {
    const cause = opts.signal?.aborted ? abortReason(opts.signal) : err
    await blob.abort(cause)
    throw wrapError(context, cause)
  } finally {
    opts.signal?.removeEventListener('abort', onAbort)
  }
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new LadingError('ERR_ABORTED', 'layer aborted')
}
