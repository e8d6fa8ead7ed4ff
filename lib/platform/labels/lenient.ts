/** Lenient JSON reading for `io.buildpacks.*` labels, the way the lifecycle reads them: a value
 * of the wrong type is dropped with a warning instead of failing the whole label, missing keys
 * take their zero value. Only text that is not JSON (or not an object) is fatal.
 */
import { LabelError } from '../errors.js'

/** A JSON object as decoded. */
export type JsonObject = Record<string, unknown>

/** Parses label text as a JSON object; throws LabelError naming `label` otherwise. */
export function parseLabelJson(label: string, text: string): JsonObject {
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch (err) {
    throw new LabelError(label, `not valid JSON: ${(err as Error).message}`, { cause: err })
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new LabelError(label, `must be a JSON object, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`)
  }
  return v as JsonObject
}

/** Collects warnings for one label while reading its fields with zero-value fallbacks. */
export class LenientReader {
  readonly warnings: string[] = []
  constructor(readonly label: string) {}

  private warn(path: string, want: string, got: unknown): void {
    const kind = got === null ? 'null' : Array.isArray(got) ? 'array' : typeof got
    this.warnings.push(`${this.label}: ${path} should be ${want}, got ${kind}; ignored`)
  }

  /** Returns `v` as an object, undefined when absent/null, or undefined with a warning when not an object. */
  obj(v: unknown, path: string): JsonObject | undefined {
    if (v === undefined || v === null) return undefined
    if (typeof v !== 'object' || Array.isArray(v)) {
      this.warn(path, 'an object', v)
      return undefined
    }
    return v as JsonObject
  }

  /** Returns `v` as an array ([] when absent/null; [] with a warning when not an array). */
  arr(v: unknown, path: string): unknown[] {
    if (v === undefined || v === null) return []
    if (!Array.isArray(v)) {
      this.warn(path, 'an array', v)
      return []
    }
    return v
  }

  /** Returns `v` as a string ('' when absent/null; '' with a warning when another type). */
  str(v: unknown, path: string): string {
    if (v === undefined || v === null) return ''
    if (typeof v !== 'string') {
      this.warn(path, 'a string', v)
      return ''
    }
    return v
  }

  /** Returns `v` as a boolean (false when absent/null; false with a warning when another type). */
  bool(v: unknown, path: string): boolean {
    if (v === undefined || v === null) return false
    if (typeof v !== 'boolean') {
      this.warn(path, 'a boolean', v)
      return false
    }
    return v
  }

  /** Returns the strings of array `v`, dropping (with a warning) non-string items. */
  strings(v: unknown, path: string): string[] {
    return this.arr(v, path).flatMap((s, i) => {
      if (typeof s === 'string') return [s]
      this.warn(`${path}[${i}]`, 'a string', s)
      return []
    })
  }
}

/**
 * Returns a deep copy of `v` with object keys sorted, as Go's encoding/json writes maps, so
 * free-form metadata serialises the same way every time.
 */
export function sortedDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedDeep)
  if (typeof v === 'object' && v !== null) {
    const out: JsonObject = {}
    for (const k of Object.keys(v).sort()) out[k] = sortedDeep((v as JsonObject)[k])
    return out
  }
  return v
}
