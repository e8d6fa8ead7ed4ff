/** definedOnly: an object without its undefined-valued keys, instead of `...(x ? { x } : {})` spreads. */

/**
 * Copies `o`, leaving out keys whose value is undefined, in the order written. Option objects,
 * JSON documents and TOML tables then read as plain literals while absent values stay absent
 * (not `key: undefined`, which deep-equal checks, `'key' in o` and some writers tell apart).
 * Only undefined is dropped: write `x || undefined` where an empty string or false must go too.
 */
export function definedOnly<T extends object>(o: T): T {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v
  return out as T
}
