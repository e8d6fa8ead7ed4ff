// OCI image layouts on disk (`oci:DIR[:TAG]`): the folder's only door.
export * from './errors.js'
export * from './reference.js'
export * from './layout-blobs.js'
export * from './layout-index.js'
export * from './layout-repository.js'
