/** The wire layer: undici dispatchers (user CA files, per-host TLS verification) and one HTTP
 * exchange with redirects followed by hand, so Authorization only ever goes to the origin it
 * belongs to (oci-registry.md §1.4, §2.4). Knows nothing about images or auth protocols.
 */
import { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { Readable } from 'node:stream'
import { rootCertificates } from 'node:tls'
import type { Dispatcher } from 'undici'
import Agent from 'undici/lib/dispatcher/agent.js'
import dispatchRequest from 'undici/lib/api/api-request.js'
import { LadingError } from '../errors.js'
import { ProtocolError } from './errors.js'
import { originOf, resolveLocation } from './location.js'
import { definedOnly } from '../defined.js'

/** Picks the dispatcher for a URL's host. */
export type DispatcherFor = (host: string) => Dispatcher

/** True for hosts plain HTTP is allowed to by default: localhost, *.localhost, 127.0.0.0/8, ::1. */
export function isLoopbackHost(hostPort: string): boolean {
  const host = stripPort(hostPort).toLowerCase()
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

/** `host` of `host[:port]` (IPv6 literals in brackets lose their brackets). */
export function stripPort(hostPort: string): string {
  if (hostPort.startsWith('[')) return hostPort.slice(1, hostPort.indexOf(']'))
  const i = hostPort.lastIndexOf(':')
  return i >= 0 && hostPort.indexOf(':') === i ? hostPort.slice(0, i) : hostPort
}

/** True when `hostPort` is listed: an entry with a port must match exactly, one without matches any port. */
export function isListedHost(hostPort: string, list: readonly string[]): boolean {
  const h = hostPort.toLowerCase()
  return list.some((e) => {
    const x = e.toLowerCase().replace(/^https?:\/\//, '').replace(/\/.*$/, '')
    return x === h || (stripPort(x) === x && stripPort(h) === x)
  })
}

/** Options for createDispatchers. */
export interface DispatcherOptions {
  caCertFiles?: readonly string[]
  insecureRegistries?: readonly string[]
  dispatcher?: Dispatcher
  /**
   * Takes every request that moves no blob bytes (see carriesBlobBytes), so undici's agents load
   * only when bytes have to stream: a copy inside one registry (mounts) never loads them.
   * Ignored with caCertFiles, which only the agents know.
   */
  light?: Dispatcher
}

/** Bodies up to this size go through the light dispatcher (manifests, config blobs). */
const LIGHT_BODY_MAX = 1 << 20

/** True for a request that streams blob bytes: a blob GET, or a body that is a stream or over 1 MiB. */
export function carriesBlobBytes(o: { method: string; path: string; body?: unknown }): boolean {
  if (o.body !== undefined && o.body !== null) return !(typeof o.body === 'string' || (o.body instanceof Uint8Array && o.body.byteLength <= LIGHT_BODY_MAX))
  return o.method === 'GET' && /\/blobs\/(?!uploads\/)[^/?]+(?:\?|$)/.test(o.path)
}

/** Dispatchers for a client; close() ends the agents this module created (never a caller's). */
export interface Dispatchers { forHost: DispatcherFor; close(): Promise<void> }

/**
 * Builds the agents: one trusting the system roots plus `caCertFiles`, one without TLS
 * verification used only for insecure-listed hosts. A caller-supplied dispatcher is used for
 * everything. Throws ERR_REGISTRY_CA_FILE when a CA file cannot be read.
 */
export function createDispatchers(o: DispatcherOptions): Dispatchers {
  if (o.dispatcher) {
    const d = o.dispatcher
    return { forHost: () => d, close: async () => {} }
  }
  const extra = (o.caCertFiles ?? []).map((f) => {
    let text: string
    try {
      text = readFileSync(f, 'utf8')
    } catch (err) {
      throw new LadingError('ERR_REGISTRY_CA_FILE', `cannot read CA certificate file ${f}: check the --ca-cert path`, { cause: err })
    }
    return checkCaPem(f, text)
  })
  // A registry that accepts a request and never answers must not hold a build forever: bounded
  // waits for headers (after the request is sent) and between body chunks; retries take it from there.
  const timeouts = { headersTimeout: 60_000, bodyTimeout: 120_000 }
  // Created on first use: constructing one loads undici's pool (scripts/build-cli.mjs).
  let secure: Agent | undefined
  let insecure: Agent | undefined
  const list = o.insecureRegistries ?? []
  const agentFor = (host: string): Agent => {
    if (list.length > 0 && isListedHost(host, list)) return (insecure ??= new Agent({ ...timeouts, connect: { rejectUnauthorized: false } }))
    return (secure ??= new Agent(definedOnly({ ...timeouts, connect: extra.length > 0 ? { ca: [...rootCertificates, ...extra] } : undefined })))
  }
  const light = extra.length === 0 ? o.light : undefined
  const routers = new Map<string, Dispatcher>()
  return {
    forHost(host) {
      if (!light) return agentFor(host)
      let r = routers.get(host)
      if (!r) {
        // sendWire calls request() when there is one, else undici's request API, which calls dispatch().
        const route = {
          dispatch: (opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler) =>
            (carriesBlobBytes(opts) ? agentFor(host) : light).dispatch(opts, handler),
          request: (opts: Dispatcher.RequestOptions) => (carriesBlobBytes(opts) ? requestOn(agentFor(host), opts) : requestOn(light, opts)),
        }
        r = route as unknown as Dispatcher
        routers.set(host, r)
      }
      return r
    },
    async close() {
      // A graceful close waits for every request to finish, and one whose response body nobody
      // read never does: give them a moment, then destroy what is left.
      const agents = [secure, insecure].filter((a): a is Agent => a !== undefined)
      if (agents.length === 0) return
      let timer: NodeJS.Timeout | undefined
      const graceful = Promise.all(agents.map((a) => a.close())).then(() => true)
      const late = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), 1000) })
      const closed = await Promise.race([graceful, late])
      clearTimeout(timer)
      if (!closed) await Promise.all(agents.map((a) => a.destroy().catch(() => undefined)))
    },
  }
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g

/**
 * Returns the PEM certificates of a CA file's text, each one parsed. Node silently ignores a CA
 * option that holds no certificate, so a wrong file (`--ca-cert /etc/passwd`) would otherwise
 * trust nothing new without a word. Throws ERR_TLS_CA_INVALID naming the file.
 */
export function checkCaPem(file: string, text: string): string {
  const blocks = text.match(PEM_CERT) ?? []
  if (blocks.length === 0) {
    throw new LadingError('ERR_TLS_CA_INVALID', `--ca-cert ${file}: no PEM certificate in the file (expected "-----BEGIN CERTIFICATE-----" blocks)`)
  }
  blocks.forEach((b, i) => {
    try {
      new X509Certificate(b)
    } catch (err) {
      throw new LadingError('ERR_TLS_CA_INVALID', `--ca-cert ${file}: certificate ${i + 1} of ${blocks.length} cannot be parsed (${(err as Error).message})`, { cause: err })
    }
  })
  return blocks.join('\n')
}

/**
 * undici's request API on `d`: its own request() when it has one (lib/cli's Node-http transport,
 * which so never loads undici's), else undici's, which calls d.dispatch().
 */
function requestOn(d: Dispatcher, opts: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData> {
  const own = (d as { request?: (o: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData> }).request
  return typeof own === 'function' ? own.call(d, opts) : dispatchRequest.call(d, opts)
}

/** One request as the wire layer sees it. */
export interface WireRequest {
  method: string
  url: string
  headers: Record<string, string>
  body?: Uint8Array | Readable
  signal?: AbortSignal
  /** Authorization value, attached only while the URL's origin equals `authOrigin` (default: the first URL's). */
  authorization?: string
  authOrigin?: string
  /** Follow 301/302/303/307/308 (only meaningful for body-less requests). */
  followRedirects?: boolean
}

/** A response with its final URL (after redirects); the body is unread. */
export interface WireResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Dispatcher.ResponseData['body']
  url: string
  /** True when a redirect moved the request to another origin. */
  crossOrigin: boolean
}

const REDIRECTS = new Set([301, 302, 303, 307, 308])
const MAX_REDIRECTS = 5

/**
 * Sends one request, following redirects itself (bounded) and dropping Authorization and
 * cookies whenever the target origin differs from `authOrigin`. `onRequest` counts each hop.
 */
export async function sendWire(req: WireRequest, dispatcherFor: DispatcherFor, onRequest?: () => void): Promise<WireResponse> {
  let url = req.url
  let method = req.method
  let crossOrigin = false
  for (let hop = 0; ; hop++) {
    const u = new URL(url)
    const headers: Record<string, string> = { ...req.headers }
    // Credentials belong to one origin: the registry's, or (token requests) the one first asked.
    const sameOrigin = u.origin === (req.authOrigin ?? new URL(req.url).origin)
    if (!sameOrigin) {
      crossOrigin = crossOrigin || hop > 0
      for (const k of Object.keys(headers)) if (/^(authorization|cookie|proxy-authorization)$/i.test(k)) delete headers[k]
    } else if (req.authorization) {
      headers.authorization = req.authorization
    }
    onRequest?.()
    const res = await requestOn(dispatcherFor(u.host), {
      origin: u.origin,
      path: `${u.pathname}${u.search}`,
      method: method as Dispatcher.HttpMethod,
      headers,
      body: hop === 0 ? req.body : undefined,
      signal: req.signal,
    })
    const location = res.headers.location
    if (REDIRECTS.has(res.statusCode) && req.followRedirects && req.body === undefined && typeof location === 'string') {
      await res.body.dump().catch(() => {})
      if (hop >= MAX_REDIRECTS) {
        throw new ProtocolError(`too many redirects (more than ${MAX_REDIRECTS}) for ${req.method} ${originOf(req.url)}: the registry or its storage is misconfigured`,
          { status: res.statusCode, method: req.method, url: req.url })
      }
      const next = resolveLocation(url, location)
      if (!/^https?:$/.test(new URL(next).protocol)) {
        throw new ProtocolError(`redirect to a non-HTTP URL refused`, { status: res.statusCode, method: req.method, url })
      }
      if (res.statusCode === 303 && method !== 'HEAD') method = 'GET'
      url = next
      continue
    }
    return { status: res.statusCode, headers: res.headers, body: res.body, url, crossOrigin }
  }
}

/** Reads at most `limit` bytes of a body as text and discards the rest (error bodies, token JSON). */
export async function readCapped(body: Dispatcher.ResponseData['body'], limit = 64 * 1024): Promise<string> {
  const chunks: Buffer[] = []
  let n = 0
  try {
    for await (const chunk of body) {
      const b = chunk as Buffer
      const take = Math.min(b.length, limit - n)
      if (take > 0) chunks.push(b.subarray(0, take))
      n += take
      if (n >= limit) break
    }
  } catch {
    // a body cut short still gives what arrived; the status already tells the story
  } finally {
    discard(body)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** The first value of a header. */
export function header(h: WireResponse['headers'], name: string): string | undefined {
  const v = h[name]
  return Array.isArray(v) ? v[0] : v
}

/** Drops a response body we will not read; its abort error has nowhere useful to go. */
export function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => {})
  body.destroy()
}
