/** Of `sources` (repository names `host/path`), those a push to `target` can mount from: same
 * registry host, another repository. Layout and cross-registry sources must be uploaded.
 */
export function mountSources(sources: readonly string[], target: string): string[] {
  const host = hostOf(target)
  const out = new Set<string>()
  for (const s of sources) {
    if (s !== target && !s.startsWith('oci:') && hostOf(s) === host) out.add(s)
  }
  return [...out]
}

function hostOf(name: string): string {
  const i = name.indexOf('/')
  return i < 0 ? name : name.slice(0, i)
}
