/** Fleet errors: a bad fleet file (naming the file, entry and line) and one image's failure. */
import { LadingError } from '../errors.js'

/** Where in the fleet file something was declared. */
export interface FleetLocation {
  file: string
  /** 1-based line; 0 when unknown. */
  line: number
  /** `images[3] (registry/app:1)`, `defaults`, or '' for the whole file. */
  entry: string
}

/** Formats `file:line: entry: detail`. */
export function locate(at: FleetLocation, detail: string): string {
  return `${at.file}${at.line ? `:${at.line}` : ''}: ${at.entry ? `${at.entry}: ` : ''}${detail}`
}

/** The fleet file cannot be used as a whole (syntax, unknown key, duplicate tag, wrong type). */
export class FleetFileError extends LadingError {
  constructor(readonly at: FleetLocation, detail: string, options?: { cause?: unknown }) {
    super('ERR_FLEET_FILE', locate(at, detail), options)
  }
}

/** One image of the fleet cannot be planned or applied (missing source, unreadable builder, ...). */
export class FleetImageError extends LadingError {
  constructor(code: string, readonly at: FleetLocation, detail: string, options?: { cause?: unknown }) {
    super(code, locate(at, detail), options)
  }
}
