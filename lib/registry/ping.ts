/** `GET /v2/` (oci-registry.md §1.2, §4.3): picks the scheme and learns the auth challenge.
 * HTTPS first; plain HTTP only for loopback or insecure-listed hosts, and only after a
 * connection/TLS failure, never because of an HTTP status.
 */
import { pickChallenge, parseChallenges, type Challenge } from './challenge.js'
import { errorFromResponse, ProtocolError } from './errors.js'
import { isListedHost, isLoopbackHost, readCapped, type WireResponse } from './http.js'
import { isConnectError } from './retry.js'

/** What a ping learned about a registry host. */
export interface PingResult {
  /** `https://host[:port]` or `http://host[:port]`, no trailing slash. */
  base: string
  challenge: Challenge | undefined
}

/** Options for ping. */
export interface PingOptions {
  /** API host[:port] to ping. */
  host: string
  /** Registry name for messages (`docker.io`). */
  registry: string
  insecureRegistries: readonly string[]
  /** Sends an unauthenticated GET (with the caller's retry policy) and returns the response. */
  get: (url: string) => Promise<WireResponse>
  log?: (line: string) => void
}

/** True when plain HTTP may be tried for `host`. */
export function httpAllowed(host: string, insecure: readonly string[]): boolean {
  return isLoopbackHost(host) || isListedHost(host, insecure)
}

/**
 * True when a ping answer kept from an earlier run (`base`) may stand in for pinging `host`: same
 * host, plain HTTP only where it is still allowed, and no HTTPS answer for a loopback host (a TLS
 * hello sent to a plain-HTTP port can sit unanswered; the ping asks plain HTTP first there).
 */
export function keptPingUsable(base: string, host: string, insecureRegistries: readonly string[]): boolean {
  let u: URL
  try {
    u = new URL(base)
  } catch {
    return false
  }
  if (u.host !== new URL(`http://${host}`).host && u.host !== new URL(`https://${host}`).host) return false
  if (u.protocol === 'http:') return httpAllowed(host, insecureRegistries)
  return u.protocol === 'https:' && !isLoopbackHost(host)
}

/**
 * Pings the registry and returns its base URL and challenge. 200 → anonymous; 401 → the first
 * Basic/Bearer challenge; 404 → not a v2 registry (ProtocolError); others → typed error.
 * Throws the HTTPS connection error when HTTP is not allowed or also fails to connect.
 */
export async function ping(o: PingOptions): Promise<PingResult> {
  // Loopback registries are plain HTTP far more often than not, and a TLS ClientHello sent to a
  // plain-HTTP port can sit unanswered: ask HTTP first there. A TLS port answers plain HTTP with
  // a quick 400, and HTTPS is tried next. Other hosts keep Docker's HTTPS-first order.
  const schemes = isLoopbackHost(o.host) ? ['http', 'https'] : httpAllowed(o.host, o.insecureRegistries) ? ['https', 'http'] : ['https']
  let firstErr: unknown
  for (const [i, scheme] of schemes.entries()) {
    const base = `${scheme}://${o.host}`
    let res: WireResponse
    try {
      res = await o.get(`${base}/v2/`)
    } catch (err) {
      firstErr ??= err
      if (!isConnectError(err) && !isConnectError((err as { cause?: unknown }).cause)) throw err
      o.log?.(`ping: ${base} failed to connect; ${i < schemes.length - 1 ? `trying ${schemes[i + 1]}` : 'giving up'}`)
      continue
    }
    const body = await readCapped(res.body)
    if (scheme === 'http' && res.status === 400 && i < schemes.length - 1) continue // a TLS port: try HTTPS
    // A TLS-only port answers plain HTTP with 400 ("HTTP request to an HTTPS server"): the HTTPS error is the real story.
    if (firstErr !== undefined && res.status === 400) throw firstErr
    if (res.status === 200) return { base, challenge: undefined }
    if (res.status === 401) {
      const challenge = pickChallenge(parseChallenges(res.headers['www-authenticate']))
      if (!challenge) {
        throw new ProtocolError(`registry ${o.registry} requires authentication but sent no Basic or Bearer challenge`,
          { status: 401, method: 'GET', url: `${base}/v2/` })
      }
      return { base, challenge }
    }
    if (res.status === 404) {
      throw new ProtocolError(`${o.registry} is not an OCI/Docker v2 registry (GET /v2/ → 404): check the registry host`,
        { status: 404, method: 'GET', url: `${base}/v2/` })
    }
    throw errorFromResponse({ method: 'GET', url: `${base}/v2/`, status: res.status, body, registry: o.registry })
  }
  throw firstErr
}
