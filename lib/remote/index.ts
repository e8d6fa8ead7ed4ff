// The door of lib/remote: fetch, push and copy images over any store (registry or layout).
export * from './fetch-image.js'
export * from './push-image.js'
export * from './copy.js'
export * from './remote-layer.js'
export * from './read-blob.js'
export * from './mount-sources.js'
export * from './ledger.js'
export * from './not-found.js'
