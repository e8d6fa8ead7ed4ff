/** Reading what an image is made of: pack's inspect sections, processes, bill of materials. */
export * from './inspect.js'
export * from './pack-schema.js'
