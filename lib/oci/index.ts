export * from './media-type.js'
export * from './types.js'
export * from './store.js'
