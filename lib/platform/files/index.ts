// The platform's TOML files (order, group, plan, project, run, metadata, report, analyzed), read and written.
export * from './order.js'
export * from './group.js'
export * from './plan.js'
export * from './project.js'
export * from './project-metadata.js'
export * from './run.js'
export * from './metadata-toml.js'
export * from './report.js'
export * from './analyzed.js'
export {
  stringifyToml, parseTomlText, parseToml, readField, isTable,
  type Table, type FieldKind, type FieldValue, type FieldMismatch,
} from '../../toml/index.js'
