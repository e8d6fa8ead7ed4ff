/** One registry host as seen by the client: cached ping (single-flight), authentication, and the
 * request pipeline — attach credentials, re-authenticate once on 401, retry transient failures of
 * replayable requests with backoff and Retry-After, and turn failures into typed errors.
 */
import type { Readable } from 'node:stream'
import { LadingError, redactUrl } from '../errors.js'
import { Authenticator } from './auth.js'
import { errorFromResponse, RETRYABLE_STATUS, TooManyRequestsError, type RegistryError, type RegistryObject } from './errors.js'
import { header, readCapped, sendWire, type DispatcherFor, type WireRequest, type WireResponse } from './http.js'
import { dockerHubApiHost, type Keychain } from './keychain.js'
import { ping, type PingResult } from './ping.js'
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

  constructor(registry: string, c: SessionContext) {
    this.registry = registry
    this.host = dockerHubApiHost(registry)
    this.#c = c
    this.auth = new Authenticator({
      registry, keychain: c.keychain, userAgent: c.userAgent, insecureRegistries: c.insecureRegistries, log: c.log,
      send: (req) => this.#sendWithRetry(req, true),
    })
  }

  /** The pinged base URL (`scheme://host`); pings once, concurrent callers share the ping. */
  async base(signal?: AbortSignal): Promise<string> {
    if (this.#base) return this.#base
    this.#ping ??= ping({
      host: this.host, registry: this.registry, insecureRegistries: this.#c.insecureRegistries, log: this.#c.log,
      get: (url) => this.#sendWithRetry({ method: 'GET', url, headers: this.#headers({}), signal }, false),
    })
    try {
      const r = await this.#ping
      this.auth.challenge ??= r.challenge
      this.#base = r.base
      this.#c.log(`ping: ${this.registry} → ${r.base} (${r.challenge ? r.challenge.scheme : 'anonymous'})`)
      return r.base
    } catch (err) {
      this.#ping = undefined // a registry that was down may come up: ping again next time
      throw err instanceof LadingError ? err : unreachable(err, 'GET', `https://${this.host}/v2/`, this.registry)
    }
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
    const base = await this.base(r.signal)
    const url = r.url.startsWith('/') ? `${base}${r.url}` : r.url
    const origin = new URL(base).origin
    const resendable = r.body === undefined || r.body instanceof Uint8Array
    // A 401 means the request was not processed, so bytes may be resent even when retries are off.
    const replayable = resendable && r.retry !== false
    let reauthed = false
    for (let attempt = 1; ; attempt++) {
      const authorization = await this.auth.authorize(r.scopes, r.signal)
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
        if (replayable && attempt < this.#c.retry.maxAttempts && isTransientNetworkError(err, this.#alive)) {
          await this.#backoff(attempt, `${r.method} ${redactUrl(url)}: ${(err as Error).message}`, undefined, r.signal)
          continue
        }
        // Failures of the body stream (a layer file, a digest check) are the caller's, not the network's.
        if (err instanceof LadingError || !isNetworkError(err)) throw err
        throw unreachable(err, r.method, url, this.registry)
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
