// lib/image's only door: the lazy, immutable Image and Layer model and the ways to make and change images.
export * from './model.js'
export * from './errors.js'
export * from './derive.js'
export * from './compose.js'
export * from './empty.js'
export * from './memory.js'
export * from './mutate.js'
export * from './rebase.js'
