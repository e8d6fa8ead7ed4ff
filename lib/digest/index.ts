// lib/digest's only door: content digests, a hashing pass-through stream and a verifying one.
export * from './digest.js'
export * from './digester.js'
export * from './verify.js'
