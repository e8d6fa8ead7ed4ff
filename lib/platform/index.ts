// lib/platform's only door: CNB platform files, io.buildpacks.* labels, target data, run images, rebase checks.
export * from './errors.js'
export * from './labels/index.js'
export * from './files/index.js'
export * from './target.js'
export * from './run-image.js'
export * from './rebase-check.js'
