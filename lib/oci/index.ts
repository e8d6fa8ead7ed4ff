// lib/oci's only door: OCI/Docker types, media types, references, manifests, platforms, store interfaces.
export * from './media-type.js'
export * from './types.js'
export * from './store.js'
export * from './errors.js'
export * from './reference.js'
export * from './manifest.js'
export * from './platform.js'
export * from './family.js'
