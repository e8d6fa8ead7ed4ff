/** How buildpack processes run: directly on the host, or in a bubblewrap sandbox. */
export * from './types.js'
export * from './host-runner.js'
export * from './sandbox.js'
