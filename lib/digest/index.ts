export * from './digest.js'
export * from './digester.js'
export * from './verify.js'
