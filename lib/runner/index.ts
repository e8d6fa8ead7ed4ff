/** How buildpack processes run: directly on the host, or in a bubblewrap sandbox. */
export * from './types.js'
export * from './host-runner.js'
export * from './sandbox.js'
export { HOST_ROOT_DIRS, DEFAULT_HIDDEN, HIDDEN_PATTERNS } from './sandbox-view.js'
export { hostIdsFor, isTmpfs, runningAsRoot } from './privilege.js'
