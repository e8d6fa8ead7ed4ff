/** Retry policy (oci-registry.md §4.4): which failures are transient, how long to wait
 * (exponential backoff with jitter, Retry-After honoured up to a cap), and how network errors
 * become clear "cannot reach" errors.
 */
import { setTimeout as delay } from 'node:timers/promises'
import { UnreachableError } from './errors.js'

/**
 * Retry settings; all optional with the defaults in `resolveRetry`. `maxAttempts` is a budget per
 * request: every request (each POST, each PATCH, the commit PUT) gets that many tries, so faults
 * spread over a long upload never add up to a failure. `random` is the jitter source (tests pin it).
 */
export interface RetryOptions {
  maxAttempts?: number; baseDelayMs?: number; maxDelayMs?: number; maxRetryAfterMs?: number; random?: () => number
}

/** Retry settings with every field filled in. */
export type RetryPolicy = Required<RetryOptions>

/** Fills in defaults: 4 attempts per request, 1 s base doubling, 30 s max step, Retry-After honoured up to 60 s. */
export function resolveRetry(o: RetryOptions = {}): RetryPolicy {
  return {
    maxAttempts: Math.max(1, o.maxAttempts ?? 4),
    baseDelayMs: Math.max(0, o.baseDelayMs ?? 1000),
    maxDelayMs: Math.max(0, o.maxDelayMs ?? 30_000),
    maxRetryAfterMs: Math.max(0, o.maxRetryAfterMs ?? 60_000),
    random: o.random ?? Math.random,
  }
}

/**
 * Milliseconds a Retry-After value asks for: delta-seconds or an HTTP-date (relative to `now`).
 * Past dates give 0; unparseable values give undefined.
 */
export function parseRetryAfter(value: string | readonly string[] | undefined, now = Date.now()): number | undefined {
  const v = (Array.isArray(value) ? value[0] : value) as string | undefined
  if (v === undefined) return undefined
  const s = v.trim()
  if (/^\d+$/.test(s)) return Number(s) * 1000
  if (!/[a-z]/i.test(s)) return undefined
  const t = Date.parse(s)
  if (Number.isNaN(t)) return undefined
  return Math.max(0, t - now)
}

/**
 * Delay before retry number `attempt` (1 = first retry): base·2^(attempt−1), capped, with ±20 %
 * jitter from `random` (injectable so tests are deterministic).
 */
export function backoffDelay(attempt: number, p: RetryPolicy, random: () => number = p.random ?? Math.random): number {
  const raw = Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** Math.max(0, attempt - 1))
  const jitter = 1 + (random() * 0.4 - 0.2)
  return Math.max(0, Math.round(raw * jitter))
}

/** Waits `ms`, rejecting early with the signal's reason when aborted. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) {
    signal?.throwIfAborted()
    return
  }
  await delay(ms, undefined, signal ? { signal } : undefined)
}

const TRANSIENT_CODES = new Set([
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CLOSED',
  'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ECONNABORTED',
])

/** Codes meaning "nobody answered": the registry is down or the name is wrong. */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_NONAME'])

function codeOf(err: unknown): string | undefined {
  let e: unknown = err
  for (let i = 0; i < 4 && e && typeof e === 'object'; i++) {
    const c = (e as { code?: unknown }).code
    // Our own LadingError codes (ERR_REGISTRY_*) are not network codes: look through to the cause.
    if (typeof c === 'string' && !c.startsWith('ERR_REGISTRY') && !c.startsWith('ERR_UNEXPECTED')) return c
    e = (e as { cause?: unknown }).cause
  }
  return undefined
}

/** True for TLS failures (untrusted/expired certificate, handshake errors). */
export function isTlsError(err: unknown): boolean {
  const c = codeOf(err) ?? ''
  const msg = err instanceof Error ? err.message : ''
  return /CERT|SELF_SIGNED|TLS|SSL|UNABLE_TO_VERIFY|ERR_SSL/.test(c) || /wrong version number|ssl3_get_record|certificate/i.test(msg)
}

/**
 * True for network failures worth retrying. Connection refused only counts when the host has
 * answered before (`seenAlive`): a registry that is simply down fails fast instead of backing off.
 */
export function isTransientNetworkError(err: unknown, seenAlive: boolean): boolean {
  const c = codeOf(err)
  if (!c) return false
  if (TRANSIENT_CODES.has(c)) return true
  return seenAlive && c === 'ECONNREFUSED'
}

/** True for errors that show no connection could be made (refused, DNS, unreachable, TLS). */
export function isConnectError(err: unknown): boolean {
  const c = codeOf(err)
  return (c !== undefined && (UNREACHABLE_CODES.has(c) || c === 'UND_ERR_CONNECT_TIMEOUT')) || isTlsError(err)
}

/** True when `err` came from the network (socket, DNS, TLS, undici transport), not from a body stream or our own code. */
export function isNetworkError(err: unknown): boolean {
  const c = codeOf(err)
  if (c === undefined) return false
  // UND_ERR_REQ_* are about our request body (e.g. a Content-Length the stream did not honour), not the network.
  return TRANSIENT_CODES.has(c) || UNREACHABLE_CODES.has(c) || (c.startsWith('UND_ERR_') && !c.startsWith('UND_ERR_REQ_')) || isTlsError(err)
}

/** Wraps a network failure in an UnreachableError whose message says what to do. */
export function unreachable(err: unknown, method: string, url: string, host: string): UnreachableError {
  const c = codeOf(err) ?? 'network error'
  let advice: string
  if (isTlsError(err)) {
    advice = `TLS connection to ${host} failed (${c}): if the certificate is not trusted, pass --ca-cert FILE; for a plain-HTTP registry add it to the insecure registries`
  } else if (c === 'ECONNREFUSED') {
    advice = `cannot reach registry ${host}: connection refused (is it running, and is the port right?)`
  } else if (c === 'ENOTFOUND' || c === 'EAI_NONAME' || c === 'EAI_AGAIN') {
    advice = `cannot reach registry ${host}: host name not found (check the image reference)`
  } else {
    advice = `cannot reach registry ${host} (${c}): check the network and that the registry is up`
  }
  return new UnreachableError(advice, { method, url, cause: err, retryable: isTransientNetworkError(err, true) })
}
