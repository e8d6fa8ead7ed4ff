/** Rebase: prove the old base, pick the new run image, rewrite manifest and config; one image or a fleet. */
export { rebaseImage, parseImageName, type RebaseTarget, type RebaseOptions, type RebaseResult, type BaseChange } from './rebase.js'
export { rebaseFleet, type FleetItem, type FleetSummary, type FleetOptions } from './fleet.js'
export { RunImageCache, type OpenImage, type RunImage } from './run-images.js'
export { RebaseError, REBASE_EXIT_CODES, type RebaseErrorKind } from './errors.js'
export { REBASE_CREATED, type BaseSide } from './plan.js'
