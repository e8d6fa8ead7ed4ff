/** Build caches: the cache image, the cache directory, and the local layer stash with its fingerprints. */
export * from './cache.js'
export { dirCache } from './cache-dir.js'
export { imageCache, type ImageCacheOptions } from './cache-image.js'
export * from './layer-stash.js'
export * from './fingerprint.js'
