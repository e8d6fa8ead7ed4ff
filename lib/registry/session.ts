/** One registry host as seen by the client: cached ping (single-flight, or skipped when an earlier
 * run kept its answer), authentication, and the request pipeline — attach credentials,
 * re-authenticate once on 401, retry transient failures of replayable requests with backoff and
 * Retry-After, and turn failures into typed errors.
 */
import type { Readable } from 'node:stream'
import { LadingError, redactUrl } from '../errors.js'
import { Authenticator } from './auth.js'
import { pingToKeep, type KeptPing } from './capabilities.js'
import { errorFromResponse, parseErrorBody, RETRYABLE_STATUS, TooManyRequestsError, type RegistryError, type RegistryObject } from './errors.js'
import { header, isLoopbackHost, readCapped, sendWire, type DispatcherFor, type WireRequest, type WireResponse } from './http.js'
import { dockerHubApiHost, type Keychain } from './keychain.js'
import { httpAllowed, ping, type PingResult } from './ping.js'
import { backoffDelay, isNetworkError, isTransientNetworkError, parseRetryAfter, sleep, unreachable, type RetryPolicy } from './retry.js'
import { definedOnly } from '../defined.js'

/** Cumulative transfer counters of a client. */
export interface TransferStats {
  bytesUploaded: number
  bytesDownloaded: number
  blobsUploaded: number
  blobsMounted: number
  bytesMounted: number
  blobsExisting: number
  bytesExisting: number
  requests: number
  retries: number
}

/** Everything a session shares with its client. */
export interface SessionContext {
  keychain: Keychain
  dispatcherFor: DispatcherFor
  insecureRegistries: readonly string[]
  userAgent: string
  retry: RetryPolicy
  stats: TransferStats
  log: (line: string) => void
  /** Ping answers kept between runs (read, added to, and dropped when found wrong). */
  pings?: Map<string, KeptPing>
}

/** A request through the session pipeline. */
export interface SessionRequest {
  method: string
  /** Absolute URL, or a path starting with `/v2/` resolved against the pinged base. */
  url: string
  headers?: Record<string, string>
  /** Bytes are replayable (retried); a stream is sent once (the caller restarts on failure). */
  body?: Uint8Array | Readable
  scopes: readonly string[]
  /** Statuses returned to the caller instead of thrown. */
  ok: readonly number[]
  what?: RegistryObject
  subject?: string
  signal?: AbortSignal
  /** Default true for body-less requests. */
  followRedirects?: boolean
  /** Retry transient failures here; default true when the body is replayable. */
  retry?: boolean
}

/** Per-registry request pipeline. Safe for concurrent use. */
export class RegistrySession {
  readonly registry: string
  readonly host: string
  readonly auth: Authenticator
  readonly #c: SessionContext
  #ping: Promise<PingResult> | undefined
  #base: string | undefined
  #alive = false
  #warned = new Set<string>()
  /** True while the base and challenge come from a kept ping that no answer has confirmed yet. */
  #unverified = false
  /** Bumped when a kept ping is dropped, so concurrent requests drop it only once. */
  #generation = 0

  constructor(registry: string, c: SessionContext) {
    this.registry = registry
    this.host = dockerHubApiHost(registry)
    this.#c = c
    this.auth = new Authenticator({
      registry, keychain: c.keychain, userAgent: c.userAgent, insecureRegistries: c.insecureRegistries, log: c.log,
      // A token server named by a kept challenge may be gone: fail fast, then ping.
      send: (req) => this.#sendWithRetry(req, !this.#unverified),
    })
  }

  /**
   * The base URL (`scheme://host`). Pings once, concurrent callers share the ping; when an earlier
   * run kept this registry's ping answer, that is used instead and checked by the first request.
   */
  async base(signal?: AbortSignal): Promise<string> {
    if (this.#base) return this.#base
    const kept = this.#c.pings?.get(this.registry)
    if (kept && !this.#ping && this.#usable(kept)) {
      this.#base = kept.base
      this.auth.challenge ??= kept.challenge
      this.#unverified = true
      this.#c.log(`ping: ${this.registry} → ${kept.base} (${kept.challenge ? kept.challenge.scheme : 'anonymous'}, kept from an earlier run)`)
      return kept.base
    }
    this.#ping ??= ping({
      host: this.host, registry: this.registry, insecureRegistries: this.#c.insecureRegistries, log: this.#c.log,
      get: (url) => this.#sendWithRetry({ method: 'GET', url, headers: this.#headers({}), signal }, false),
    })
    try {
      const r = await this.#ping
      this.auth.challenge ??= r.challenge
      this.#base = r.base
      this.#c.pings?.set(this.registry, pingToKeep(r.base, r.challenge))
      this.#c.log(`ping: ${this.registry} → ${r.base} (${r.challenge ? r.challenge.scheme : 'anonymous'})`)
      return r.base
    } catch (err) {
      this.#ping = undefined // a registry that was down may come up: ping again next time
      throw err instanceof LadingError ? err : unreachable(err, 'GET', `https://${this.host}/v2/`, this.registry)
    }
  }

  /**
   * A kept answer is used only for this host, and plain HTTP only where it is still allowed. An
   * HTTPS answer for a loopback host is not used: a TLS hello sent to a plain-HTTP port can sit
   * unanswered, and the ping asks plain HTTP first there.
   */
  #usable(k: KeptPing): boolean {
    let u: URL
    try {
      u = new URL(k.base)
    } catch {
      return false
    }
    if (u.host !== this.host.toLowerCase() && u.host !== new URL(`http://${this.host}`).host) return false
    if (u.protocol === 'http:') return httpAllowed(this.host, this.#c.insecureRegistries)
    return u.protocol === 'https:' && !isLoopbackHost(this.host)
  }

  /** The kept ping proved wrong (no answer, not a registry's answer, a dead token server): ping from now on. */
  #dropKept(generation: number, why: string): void {
    if (generation !== this.#generation) return
    this.#generation++
    this.#unverified = false
    this.#base = undefined
    this.auth.challenge = undefined
    this.#c.pings?.delete(this.registry)
    this.#c.log(`ping: kept answer for ${this.registry} did not hold (${why}); pinging`)
  }

  /** Secrets to scrub from any text this session produces. */
  secrets(): string[] {
    return this.auth.secrets()
  }

  /**
   * Sends `r` and returns the response when its status is in `r.ok` (body unread: the caller must
   * consume or dump it). Throws a typed RegistryError otherwise.
   */
  async request(r: SessionRequest): Promise<WireResponse> {
    const resendable = r.body === undefined || r.body instanceof Uint8Array
    // A 401 means the request was not processed, so bytes may be resent even when retries are off.
    const replayable = resendable && r.retry !== false
    let reauthed = false
    for (let attempt = 1; ; attempt++) {
      const generation = this.#generation
      const base = await this.base(r.signal)
      const kept = this.#unverified
      // A kept ping that was wrong costs one resend, never the request (streams cannot be resent).
      const fallBack = (why: string): boolean => {
        if (!kept || r.signal?.aborted) return false
        this.#dropKept(generation, why)
        if (!resendable) return false
        attempt--
        return true
      }
      const url = r.url.startsWith('/') ? `${base}${r.url}` : r.url
      const origin = new URL(base).origin
      let authorization: string | undefined
      try {
        authorization = await this.auth.authorize(r.scopes, r.signal)
      } catch (err) {
        if (fallBack(`token: ${(err as Error).message}`)) continue
        throw err
      }
      const wire: WireRequest = definedOnly({
        method: r.method, url, headers: this.#headers(r.headers ?? {}), authOrigin: origin,
        followRedirects: r.followRedirects ?? r.body === undefined,
        body: r.body, authorization: authorization || undefined, signal: r.signal,
      })
      let res: WireResponse
      try {
        res = await this.#sendOnce(wire)
      } catch (err) {
        if (r.signal?.aborted) throw err
        if (isNetworkError(err) && fallBack((err as Error).message)) continue
        if (replayable && attempt < this.#c.retry.maxAttempts && isTransientNetworkError(err, this.#alive)) {
          await this.#backoff(attempt, `${r.method} ${redactUrl(url)}: ${(err as Error).message}`, undefined, r.signal)
          continue
        }
        // Failures of the body stream (a layer file, a digest check) are the caller's, not the network's.
        if (err instanceof LadingError || !isNetworkError(err)) throw err
        throw unreachable(err, r.method, url, this.registry)
      }
      if (kept) {
        // "Client sent an HTTP request to an HTTPS server" and the like: a 400 that is not a registry's.
        if (res.status === 400 && !r.ok.includes(400)) {
          const body = await readCapped(res.body)
          if (parseErrorBody(body).length === 0 && fallBack(`${r.method} → 400`)) continue
          throw this.#error(r, res, body)
        }
        if (generation === this.#generation) this.#unverified = false
      }
      if (r.ok.includes(res.status)) return res
      const www = res.headers['www-authenticate']
      if (res.status === 401 && !reauthed && !res.crossOrigin) {
        reauthed = true
        const body = await readCapped(res.body)
        const retry = await this.auth.onUnauthorized(authorization, www, r.scopes, r.signal)
        if (retry && resendable) {
          attempt--
          continue
        }
        const err = this.#error(r, res, body)
        // A stream body cannot be resent here; mark it so the upload loop restarts with the new token.
        if (retry) (err as { retryable: boolean }).retryable = true
        throw err
      }
      const body = await readCapped(res.body)
      const err = this.#error(r, res, body)
      if (replayable && RETRYABLE_STATUS.has(res.status) && attempt < this.#c.retry.maxAttempts) {
        const after = parseRetryAfter(res.headers['retry-after'])
        if (after !== undefined && after > this.#c.retry.maxRetryAfterMs) throw err
        await this.#backoff(attempt, `${r.method} ${redactUrl(url)} → ${res.status}`, after, r.signal)
        continue
      }
      throw err
    }
  }

  #error(r: SessionRequest, res: WireResponse, body: string): RegistryError {
    const after = parseRetryAfter(res.headers['retry-after'])
    const www = header(res.headers, 'www-authenticate')
    const err = errorFromResponse(definedOnly({
      method: r.method, url: res.url, status: res.status, body: this.#scrub(body), registry: this.registry,
      subject: r.subject || undefined, what: r.what || undefined, challenge: www || undefined, retryAfterMs: after,
      anonymous: this.auth.anonymous,
    }))
    if (err instanceof TooManyRequestsError && after !== undefined && after > this.#c.retry.maxRetryAfterMs) {
      (err as { retryable: boolean }).retryable = false
    }
    return err
  }

  async #backoff(attempt: number, why: string, retryAfterMs: number | undefined, signal?: AbortSignal): Promise<void> {
    const ms = retryAfterMs ?? backoffDelay(attempt, this.#c.retry)
    this.#c.stats.retries++
    this.#c.log(`retry ${attempt}/${this.#c.retry.maxAttempts - 1} in ${ms}ms: ${why}`)
    await sleep(ms, signal)
  }

  /** One exchange; marks the host alive once anything answered. */
  async #sendOnce(req: WireRequest): Promise<WireResponse> {
    const res = await sendWire(req, this.#c.dispatcherFor, () => this.#c.stats.requests++)
    this.#alive = true
    this.#warn(res.headers.warning)
    return res
  }

  /** A request outside the auth pipeline (ping, token) with network/status retries for replayable bodies. */
  async #sendWithRetry(req: WireRequest, alive: boolean): Promise<WireResponse> {
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await this.#sendOnce(req)
        if (RETRYABLE_STATUS.has(res.status) && attempt < this.#c.retry.maxAttempts) {
          const after = parseRetryAfter(res.headers['retry-after'])
          if (after === undefined || after <= this.#c.retry.maxRetryAfterMs) {
            await res.body.dump().catch(() => {})
            await this.#backoff(attempt, `${req.method} ${redactUrl(req.url)} → ${res.status}`, after, req.signal)
            continue
          }
        }
        return res
      } catch (err) {
        // A failing body stream (a digest check of the layer being sent) is the caller's error, not the network's.
        const own = ownError(err)
        if (own) throw own
        if (req.signal?.aborted || attempt >= this.#c.retry.maxAttempts || !isTransientNetworkError(err, alive || this.#alive)) {
          throw alive ? unreachable(err, req.method, req.url, new URL(req.url).host) : err
        }
        await this.#backoff(attempt, `${req.method} ${redactUrl(req.url)}: ${(err as Error).message}`, undefined, req.signal)
      }
    }
  }

  /** Shows each registry `Warning: 299 - "text"` once; never acted upon (distribution-spec). */
  #warn(h: string | string[] | undefined): void {
    for (const v of h === undefined ? [] : Array.isArray(h) ? h : [h]) {
      const m = /^\s*299\s+\S+\s+"((?:[^"\\]|\\.)*)"/.exec(v)
      const text = m?.[1]
      if (text && !this.#warned.has(text) && this.#warned.size < 100) {
        this.#warned.add(text)
        this.#c.log(`warning from ${this.registry}: ${this.#scrub(text.slice(0, 512))}`)
      }
    }
  }

  #headers(extra: Record<string, string>): Record<string, string> {
    return { 'user-agent': this.#c.userAgent, ...extra }
  }

  #scrub(text: string): string {
    let out = text
    for (const s of this.secrets()) if (s && s.length >= 4) out = out.split(s).join('***')
    return out
  }
}

/** The first LadingError in `err`'s cause chain when the failure is not a network one. */
function ownError(err: unknown): LadingError | undefined {
  if (isNetworkError(err)) return undefined
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) if (e instanceof LadingError) return e
  return undefined
}
