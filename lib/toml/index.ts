/** Generic TOML: parse with file-named errors, typed field readers, one deterministic writer. */
export * from './fields.js'
export * from './errors.js'
