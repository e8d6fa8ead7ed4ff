/** WWW-Authenticate parsing and token scope handling (oci-registry.md §2.1, §2.3;
 * distribution docs/content/spec/auth/scope.md).
 */

/** One auth challenge: lower-cased scheme and its parameters (keys lower-cased). */
export interface Challenge {
  scheme: string
  params: Record<string, string>
}

/**
 * Parses every challenge in one or more WWW-Authenticate header values. Handles quoted strings
 * with `\"` escapes, commas inside quotes, and several challenges in one header. Never throws:
 * garbage yields fewer challenges.
 */
export function parseChallenges(header: string | readonly string[] | undefined): Challenge[] {
  if (header === undefined) return []
  const values = typeof header === 'string' ? [header] : header
  const out: Challenge[] = []
  for (const v of values) parseOne(v, out)
  return out
}

function parseOne(s: string, out: Challenge[]): void {
  let i = 0
  let cur: Challenge | undefined
  // Right after a scheme, a bare token is its token68 credentials blob, not a new scheme.
  let afterScheme = false
  const skipWs = (): void => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++
  }
  while (i < s.length) {
    skipWs()
    if (s[i] === ',') {
      afterScheme = false
      i++
      continue
    }
    const tokStart = i
    while (i < s.length && !/[\s,=]/.test(s[i]!)) i++
    const token = s.slice(tokStart, i)
    if (!token) {
      i++
      continue
    }
    skipWs()
    if (s[i] === '=' && cur) {
      i++
      skipWs()
      let value = ''
      if (s[i] === '"') {
        i++
        while (i < s.length && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < s.length) i++
          value += s[i]
          i++
        }
        i++
      } else {
        const vs = i
        while (i < s.length && s[i] !== ',' && s[i] !== ' ') i++
        value = s.slice(vs, i)
      }
      cur.params[token.toLowerCase()] = value
      afterScheme = false
    } else if (s[i] === '=' && !cur) {
      // token68 without a scheme: ignore the rest
      return
    } else if (afterScheme) {
      afterScheme = false
    } else {
      cur = { scheme: token.toLowerCase(), params: {} }
      out.push(cur)
      afterScheme = true
    }
  }
}

/** The first Basic or Bearer challenge (others, e.g. Negotiate, are skipped), or undefined. */
export function pickChallenge(challenges: readonly Challenge[]): Challenge | undefined {
  return challenges.find((c) => c.scheme === 'bearer' || c.scheme === 'basic')
}

/** A parsed scope: `type:name:actions`. */
export interface Scope { type: string; name: string; actions: string[] }

/**
 * Parses `type[(class)]:name:a,b`. The name may contain one `:` (host:port prefix), so the type
 * ends at the first `:` and the actions start after the last. Returns undefined for malformed input.
 */
export function parseScope(s: string): Scope | undefined {
  const first = s.indexOf(':')
  const last = s.lastIndexOf(':')
  if (first < 0 || last === first) return undefined
  const type = s.slice(0, first).replace(/\(.*\)$/, '')
  const name = s.slice(first + 1, last)
  const actions = s.slice(last + 1).split(',').map((a) => a.trim()).filter(Boolean)
  if (!type || !name) return undefined
  return { type, name, actions }
}

/** Formats a scope with sorted, de-duplicated actions (challenge action order is not stable). */
export function formatScope(sc: Scope): string {
  return `${sc.type}:${sc.name}:${[...new Set(sc.actions)].sort().join(',')}`
}

/**
 * Normalises a list of scope strings (each may hold several space-separated scopes): merges
 * actions per resource, sorts actions, keeps first-seen resource order (push scope first matters
 * to registries that read only the first scope). Unparseable entries are kept verbatim.
 */
export function normalizeScopes(scopes: Iterable<string>): string[] {
  const order: string[] = []
  const merged = new Map<string, Scope | string>()
  for (const entry of scopes) {
    for (const raw of entry.split(/\s+/).filter(Boolean)) {
      const sc = parseScope(raw)
      const key = sc ? `${sc.type}:${sc.name}` : raw
      const have = merged.get(key)
      if (!have) {
        order.push(key)
        merged.set(key, sc ?? raw)
      } else if (sc && typeof have !== 'string') {
        have.actions = [...new Set([...have.actions, ...sc.actions])]
      }
    }
  }
  return order.map((k) => {
    const v = merged.get(k)!
    return typeof v === 'string' ? v : formatScope(v)
  })
}

/** True when `have` grants every action of every scope in `want`. */
export function scopesCover(have: readonly string[], want: readonly string[]): boolean {
  const granted = new Map<string, Set<string>>()
  for (const s of have) {
    const sc = parseScope(s)
    if (!sc) continue
    const key = `${sc.type}:${sc.name}`
    const set = granted.get(key) ?? new Set<string>()
    for (const a of sc.actions) set.add(a)
    granted.set(key, set)
  }
  return want.every((s) => {
    const sc = parseScope(s)
    if (!sc) return have.includes(s)
    const set = granted.get(`${sc.type}:${sc.name}`)
    return !!set && (set.has('*') || sc.actions.every((a) => set.has(a)))
  })
}

/** `repository:<name>:pull`. */
export function pullScope(repository: string): string {
  return `repository:${repository}:pull`
}

/** `repository:<name>:pull,push` (sorted form of push,pull). */
export function pushScope(repository: string): string {
  return `repository:${repository}:pull,push`
}
