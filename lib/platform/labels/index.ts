/** The io.buildpacks.* labels: names, encoders and lenient decoders. */
export * from './names.js'
export * from './lifecycle-metadata.js'
export * from './build-metadata.js'
export * from './project-metadata.js'
export { LenientReader, parseLabelJson } from './lenient.js'
