/** Opaque URL handling for upload Locations and Link headers (oci-registry.md §1.5, §1.8):
 * resolve relative to the response URL, keep the query byte-for-byte, append parameters textually.
 */

/** Resolves `location` against `base` (the URL of the response that carried it). */
export function resolveLocation(base: string, location: string): string {
  return new URL(location, base).toString()
}

/**
 * Appends `key=value` to `url` without re-encoding its existing query (the `_state` HMAC must
 * survive exactly). The value is percent-encoded.
 */
export function appendQuery(url: string, key: string, value: string): string {
  const hash = url.indexOf('#')
  const head = hash < 0 ? url : url.slice(0, hash)
  const sep = head.includes('?') ? (head.endsWith('?') || head.endsWith('&') ? '' : '&') : '?'
  return `${head}${sep}${encodeURIComponent(key)}=${encodeURIComponent(value)}`
}

/** The URL of `rel="next"` in a Link header, resolved against `base`, or undefined. */
export function nextLink(base: string, link: string | readonly string[] | undefined): string | undefined {
  if (link === undefined) return undefined
  const values = typeof link === 'string' ? [link] : link
  for (const v of values) {
    for (const part of v.split(/,(?=\s*<)/)) {
      const m = /^\s*<([^>]*)>(.*)$/.exec(part)
      if (!m) continue
      if (/;\s*rel="?([^";]*\s)?next(\s[^";]*)?"?/i.test(m[2]!)) return resolveLocation(base, m[1]!)
    }
  }
  return undefined
}

/** `scheme://host:port` of a URL, the unit credentials are bound to. */
export function originOf(url: string): string {
  return new URL(url).origin
}
