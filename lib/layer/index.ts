/** Layers on the local file system: deterministic creation (directory or in-memory entries →
 * tar → gzip, one pass, content-addressed store) and safe extraction (no path escapes,
 * whiteouts applied). oci-registry.md §3.4–3.6; architecture.md §2.5 and habit 5.
 */
export { UnsafePathError, UnsupportedFileTypeError, FileChangedError } from './errors.js'
export { TarWriter, DEFAULT_MTIME, type EntryAttrs, type FileSource } from './tar-writer.js'
export { walkDirectory, type WalkEntry, type WalkOptions } from './walk.js'
export { comparePaths, compareNames, imagePathComponents, tarPathComponents } from './tar-path.js'
export { createDeterministicGzip, gunzipIfNeeded, DEFAULT_GZIP_LEVEL } from './gzip.js'
export { storeLayerBlob, blobPath, type StoredBlob } from './store-blob.js'
export { layerFromBlobFile, type StoredLayer } from './stored-layer.js'
export { layerFromDirectory, type TarOptions, type LayerFromDirectoryOptions } from './from-directory.js'
export { layerFromEntries, type TarEntry } from './from-entries.js'
export { extractLayer, type ExtractOptions } from './extract.js'
