/** Registry authentication (oci-registry.md §2): anonymous, Basic, and Bearer token exchange
 * (GET with Basic credentials, or the OAuth2 refresh_token POST for identity tokens), with a
 * token cache per (realm, service, credential) that reuses any token covering the wanted scopes.
 */
import { redactUrl } from '../errors.js'
import { errorFromResponse, ProtocolError } from './errors.js'
import { normalizeScopes, parseChallenges, pickChallenge, scopesCover, type Challenge } from './challenge.js'
import { isListedHost, isLoopbackHost, readCapped, type WireRequest, type WireResponse } from './http.js'
import { credentialSecrets, type Credential, type Keychain } from './keychain.js'
import { appendQuery } from './location.js'

/** Sends a token request (retries are the sender's business). */
export type TokenSend = (req: WireRequest) => Promise<WireResponse>

/** Options for an Authenticator. */
export interface AuthenticatorOptions {
  registry: string
  keychain: Keychain
  send: TokenSend
  userAgent: string
  insecureRegistries: readonly string[]
  log?: (line: string) => void
  now?: () => number
}

interface CachedToken { token: string; scopes: string[]; expiresAt: number }

/** Default and floor for a token's life when `expires_in` is missing (seconds). */
const DEFAULT_TTL_S = 60

/**
 * Produces Authorization values for one registry. Safe for parallel callers: credential lookup
 * and identical token requests are single-flight. Never logs or throws secrets.
 */
export class Authenticator {
  /** The challenge from ping (or a later 401); undefined means anonymous access works. */
  challenge: Challenge | undefined
  readonly #o: AuthenticatorOptions
  #cred: Promise<Credential | undefined> | undefined
  #credValue: Credential | undefined
  #tokens: CachedToken[] = []
  #inflight = new Map<string, Promise<CachedToken>>()
  #seen = new Set<string>()

  constructor(o: AuthenticatorOptions) {
    this.#o = o
  }

  /** True when no credential is known (after at least one resolve). */
  get anonymous(): boolean {
    return this.#credValue === undefined
  }

  /** Every secret this authenticator has handled (credentials and tokens), for scrubbing text. */
  secrets(): string[] {
    return [...credentialSecrets(this.#credValue), ...this.#seen]
  }

  async #credential(): Promise<Credential | undefined> {
    this.#cred ??= this.#o.keychain.resolve(this.#o.registry).then((c) => (this.#credValue = c))
    this.#cred.catch(() => (this.#cred = undefined))
    return this.#cred
  }

  /** The Authorization value for a request needing `scopes`, or undefined for anonymous. */
  async authorize(scopes: readonly string[], signal?: AbortSignal): Promise<string | undefined> {
    const ch = this.challenge
    if (!ch) return undefined
    const cred = await this.#credential()
    if (ch.scheme === 'basic') {
      if (!cred) return undefined
      if ('password' in cred) return `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}`
      if ('registryToken' in cred) return `Bearer ${cred.registryToken}`
      return undefined
    }
    if (cred && 'registryToken' in cred) return `Bearer ${cred.registryToken}`
    const want = normalizeScopes([...scopes])
    const now = this.#now()
    const hit = this.#tokens.find((t) => t.expiresAt > now && scopesCover(t.scopes, want))
    if (hit) return `Bearer ${hit.token}`
    return `Bearer ${(await this.#fetchToken(ch, want, cred, signal)).token}`
  }

  /**
   * Handles a 401: re-reads the challenge (falling back to the ping one), drops the refused
   * token, and fetches one for the union of the challenge's and the request's scopes. Returns
   * true when a retry with a fresh Authorization may succeed.
   */
  async onUnauthorized(used: string | undefined, wwwAuthenticate: string | string[] | undefined,
    scopes: readonly string[], signal?: AbortSignal): Promise<boolean> {
    const fresh = pickChallenge(parseChallenges(wwwAuthenticate))
    if (fresh && (!this.challenge || fresh.scheme !== this.challenge.scheme)) {
      this.challenge = fresh
      return true // first time we learn auth is needed: retry with credentials/token
    }
    const ch = fresh ?? this.challenge
    if (!ch || ch.scheme !== 'bearer') return false
    const cred = await this.#credential()
    if (cred && 'registryToken' in cred) return false
    if (used?.startsWith('Bearer ')) {
      const t = used.slice(7)
      this.#tokens = this.#tokens.filter((x) => x.token !== t)
    }
    const union = normalizeScopes([...(ch.params.scope ? [ch.params.scope] : []), ...scopes])
    this.challenge = { scheme: 'bearer', params: { ...this.challenge?.params, ...ch.params } }
    const tok = await this.#fetchToken(this.challenge, union, cred, signal)
    this.#o.log?.(`auth: refreshed token for ${this.#o.registry} (${ch.params.error ?? 'unauthorized'}) scopes=${union.join(' ')}`)
    return used === undefined || tok.token !== used.slice(7) || ch.params.error === 'invalid_token'
  }

  #now(): number {
    return (this.#o.now ?? Date.now)()
  }

  #fetchToken(ch: Challenge, scopes: string[], cred: Credential | undefined, signal?: AbortSignal): Promise<CachedToken> {
    const key = `${ch.params.realm}|${ch.params.service}|${[...scopes].sort().join(' ')}`
    let p = this.#inflight.get(key)
    if (!p) {
      p = this.#requestToken(ch, scopes, cred, signal).finally(() => this.#inflight.delete(key))
      this.#inflight.set(key, p)
    }
    return p
  }

  async #requestToken(ch: Challenge, scopes: string[], cred: Credential | undefined, signal?: AbortSignal): Promise<CachedToken> {
    const realm = this.#checkRealm(ch.params.realm)
    const service = ch.params.service
    let res: WireResponse | undefined
    let url = realm
    let method = 'POST'
    if (cred && 'identityToken' in cred) {
      // OAuth2 refresh grant (ACR, `az acr login`); registries without it answer 404 → GET below.
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: cred.identityToken, client_id: 'lading' })
      if (service) form.set('service', service)
      if (scopes.length > 0) form.set('scope', scopes.join(' '))
      res = await this.#o.send({ method: 'POST', url: realm, headers: this.#headers({ 'content-type': 'application/x-www-form-urlencoded' }),
        body: Buffer.from(form.toString()), signal })
      if (res.status === 404) {
        await res.body.dump().catch(() => {})
        res = undefined
      }
    }
    if (!res) {
      method = 'GET'
      if (service) url = appendQuery(url, 'service', service)
      for (const s of scopes) url = appendQuery(url, 'scope', s)
      const headers = this.#headers({})
      if (cred && 'password' in cred) {
        url = appendQuery(url, 'account', cred.username)
        headers.authorization = `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}`
      } else if (cred && 'identityToken' in cred) {
        headers.authorization = `Basic ${Buffer.from(`<token>:${cred.identityToken}`).toString('base64')}`
      }
      res = await this.#o.send({ method: 'GET', url, headers, signal })
    }
    const text = await readCapped(res.body, 1 << 20)
    if (res.status !== 200) {
      const err = errorFromResponse({ method, url, status: res.status, registry: this.#o.registry,
        body: this.#scrub(text), what: 'token', subject: `token for ${scopes.join(' ') || this.#o.registry}`, anonymous: !cred })
      throw err
    }
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown }
    try {
      body = JSON.parse(text) as typeof body
    } catch {
      throw new ProtocolError(`token server ${redactUrl(realm)} for ${this.#o.registry} answered with something that is not JSON`,
        { status: res.status, method, url })
    }
    const token = typeof body.token === 'string' && body.token ? body.token
      : typeof body.access_token === 'string' ? body.access_token : ''
    if (!token) {
      throw new ProtocolError(`token server ${redactUrl(realm)} for ${this.#o.registry} returned no token`, { status: res.status, method, url })
    }
    this.#seen.add(token)
    const ttlS = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : DEFAULT_TTL_S
    // Refresh ~30 s early, but never spend more than half a short-lived token's life waiting.
    const early = Math.min(30, ttlS / 2)
    const t: CachedToken = { token, scopes, expiresAt: this.#now() + (ttlS - early) * 1000 }
    this.#tokens = [...this.#tokens.filter((x) => x.expiresAt > this.#now()), t]
    this.#o.log?.(`auth: token for ${this.#o.registry} scopes=${scopes.join(' ') || '(none)'} ttl=${ttlS}s`)
    return t
  }

  #headers(extra: Record<string, string>): Record<string, string> {
    return { 'user-agent': this.#o.userAgent, accept: 'application/json', ...extra }
  }

  #checkRealm(realm: string | undefined): string {
    let u: URL
    try {
      u = new URL(realm ?? '')
    } catch {
      throw new ProtocolError(`registry ${this.#o.registry} sent a Bearer challenge without a valid realm`, { status: 401, method: 'GET', url: '' })
    }
    if (u.protocol === 'https:') return u.toString()
    const ok = u.protocol === 'http:' && (isLoopbackHost(u.host) || isListedHost(u.host, this.#o.insecureRegistries) ||
      isLoopbackHost(this.#o.registry) || isListedHost(this.#o.registry, this.#o.insecureRegistries))
    if (!ok) {
      throw new ProtocolError(`refusing to send credentials to token realm ${redactUrl(u)} over plain HTTP: add the host to the insecure registries if intended`,
        { status: 401, method: 'GET', url: u.toString() })
    }
    return u.toString()
  }

  #scrub(text: string): string {
    let out = text
    for (const s of this.secrets()) if (s && s.length >= 4) out = out.split(s).join('***')
    return out
  }
}
