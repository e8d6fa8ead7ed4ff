export * from './launcher.js'
export * from './process-runner-types.js'
export * from './host-runner.js'
export * from './sandbox.js'
