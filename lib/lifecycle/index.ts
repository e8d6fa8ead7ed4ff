/** The build phases (analyze, detect, restore, build, export) and `createImage`, which runs them in order. */
export * from './errors.js'
export { CNB_PATHS } from './build-context.js'
export { createImage, type BuildRequest, type BuildEvents, type BuildResult, type ImageTarget } from './create.js'
export type { ImageSource } from './analyze.js'
export { type AppFilter, type BuildDirs } from './workspace.js'
export { unpackBuildImage, type BuildImage, type UnpackOptions } from './build-image.js'
