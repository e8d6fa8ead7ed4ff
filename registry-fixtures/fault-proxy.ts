/**
 * Fault-injecting HTTP proxy in front of a registry, for the failures the real registry cannot
 * produce (shared/reference/oci-registry.md §5: 5xx, resets mid-body, 429 + Retry-After, fake
 * invalid_token challenges, redirects to another host, Link injection). It forwards the Host
 * header unchanged so distribution 2.8.2's absolute upload Locations point back at the proxy.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage,
  type OutgoingHttpHeaders, type ServerResponse } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'

/**
 * Answer instead of forwarding (with `status`), or forward and overlay headers/body (without);
 * either only after `delayMs` (a slow registry, to show what a client does meanwhile).
 */
export interface FaultAnswer { status?: number; headers?: Record<string, string>; body?: string; delayMs?: number }
/** Forward, then destroy the connection after this many body bytes in the given direction. */
export interface FaultReset { resetAfterBytes: number; direction: 'request' | 'response' }
/** Answer 307 with Location = redirectTo + the request's path and query. */
export interface FaultRedirect { redirectTo: string }

/**
 * A scripted fault. `match.path` is tested against the request target (path + query). Among the
 * requests matching method+path, the rule fires for the `nth` (1-based, default 1) and the
 * following `times - 1` ones; `times` defaults to 1 when `nth` is given, else unlimited.
 * With `every: N` it fires instead for every Nth matching request (N, 2N, 3N, …): periodic faults.
 * The first rule that fires wins.
 */
export interface FaultRule {
  match: { method?: string; path?: RegExp; nth?: number; times?: number; every?: number }
  action: FaultAnswer | FaultReset | FaultRedirect
}

/** What the proxy saw and did for one request. Byte counts are body bytes only. */
export interface ProxiedRequest {
  method: string
  path: string
  /** Status sent to the client (0 if the connection was reset before a status was sent). */
  status: number
  bytesIn: number
  bytesOut: number
  headers: IncomingHttpHeaders
  /** Index in the current rule list of the rule that fired, if any. */
  fault?: number
  /** When the request arrived and when its answer's status line went out (performance.now(), ms). */
  arrivedMs: number
  answeredMs?: number
}

/** A running fault proxy. */
export interface FaultProxy {
  host: string
  url: string
  requests: ProxiedRequest[]
  /** Replaces the rules and resets their match counters. */
  setRules(rules: FaultRule[]): void
  stop(): Promise<void>
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization',
  'proxy-authenticate', 'te', 'trailer', 'upgrade'])

function forwardHeaders(h: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {}
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v
  return out
}

/**
 * Starts the proxy on `opts.bindHost` (default 127.0.0.1) at a free port, forwarding to
 * `targetUrl` (http, or https verified against `opts.ca`). For an https target it adds
 * `X-Forwarded-Proto: http` so Locations use the proxy's scheme. `bufferRequests` forwards a
 * request only after its whole body arrived (nginx's default); request resets do not apply then.
 * `onRequestBytes` hears of every request body chunk as it arrives (to act at an exact byte count).
 */
export async function startFaultProxy(targetUrl: string, rules: FaultRule[] = [],
  opts: { bindHost?: string; ca?: string | Buffer; bufferRequests?: boolean; onRequestBytes?: (rec: ProxiedRequest) => void } = {}): Promise<FaultProxy> {
  const target = new URL(targetUrl)
  const requests: ProxiedRequest[] = []
  let current = rules
  let counts = current.map(() => 0)
  const sockets = new Set<Socket>()

  const pick = (req: IncomingMessage): number | undefined => {
    let fired: number | undefined
    current.forEach((r, i) => {
      if (r.match.method && r.match.method.toUpperCase() !== req.method) return
      if (r.match.path && !r.match.path.test(req.url ?? '')) return
      const n = (counts[i] = (counts[i] ?? 0) + 1)
      const first = r.match.nth ?? 1
      const times = r.match.times ?? (r.match.nth !== undefined ? 1 : Infinity)
      const hit = r.match.every !== undefined ? n % r.match.every === 0 : n >= first && n < first + times
      if (fired === undefined && hit) fired = i
    })
    return fired
  }

  const server = createServer((req, res) => {
    const rec: ProxiedRequest = { method: req.method ?? '', path: req.url ?? '', status: 0, bytesIn: 0, bytesOut: 0, headers: req.headers, arrivedMs: performance.now() }
    requests.push(rec)
    const i = pick(req)
    const rule = i === undefined ? undefined : current[i]
    if (i !== undefined) rec.fault = i
    const action = rule?.action
    if (action && 'delayMs' in action && action.delayMs) {
      const { delayMs, ...rest } = action
      return void setTimeout(() => respond(req, res, rec, Object.keys(rest).length > 0 ? rest : undefined), delayMs)
    }
    respond(req, res, rec, action)
  })
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.once('close', () => sockets.delete(s))
  })

  function respond(req: IncomingMessage, res: ServerResponse, rec: ProxiedRequest, action: FaultRule['action'] | undefined): void {
    if (action && 'redirectTo' in action) {
      return drainThen(req, rec, () => answer(res, rec, 307, { location: action.redirectTo.replace(/\/$/, '') + (req.url ?? '/') }, ''))
    }
    if (action && 'status' in action && action.status !== undefined) {
      const { status, headers = {}, body = '' } = action
      return drainThen(req, rec, () => answer(res, rec, status, headers, body))
    }
    forward(req, res, rec, action)
  }

  function forward(req: IncomingMessage, res: ServerResponse, rec: ProxiedRequest,
    action: FaultAnswer | FaultReset | undefined): void {
    const headers = forwardHeaders(req.headers)
    if (target.protocol === 'https:') headers['x-forwarded-proto'] = 'http'
    const reqOpts = { method: req.method, host: target.hostname, port: target.port, path: req.url, headers, agent: false as const }
    const up = target.protocol === 'https:' ? httpsRequest({ ...reqOpts, ca: opts.ca }) : httpRequest(reqOpts)
    const reset = action && 'resetAfterBytes' in action ? action : undefined
    const overlay = action && !('resetAfterBytes' in action) ? action : undefined
    let killed = false
    const kill = (): void => {
      killed = true
      up.destroy()
      req.socket.destroy()
    }
    up.on('error', () => {
      if (killed) return
      if (!res.headersSent) answer(res, rec, 502, { 'content-type': 'text/plain' }, 'fault-proxy: upstream error')
      else res.destroy()
    })
    if (opts.bufferRequests) {
      // Like nginx's default proxy_request_buffering: the registry sees a request only once its
      // whole body has arrived, so a client that dies mid-body leaves the registry untouched.
      const parts: Buffer[] = []
      req.on('data', (chunk: Buffer) => {
        rec.bytesIn += chunk.length
        parts.push(chunk)
        opts.onRequestBytes?.(rec)
      })
      req.on('end', () => up.end(Buffer.concat(parts)))
      req.on('aborted', () => up.destroy())
      req.on('close', () => { if (!req.complete) up.destroy() })
    }
    if (!opts.bufferRequests) req.on('data', (chunk: Buffer) => {
      if (reset?.direction === 'request' && rec.bytesIn + chunk.length >= reset.resetAfterBytes) {
        const part = chunk.subarray(0, reset.resetAfterBytes - rec.bytesIn)
        rec.bytesIn += part.length
        if (part.length) up.write(part)
        req.pause()
        // Let the partial body reach the registry before both connections die.
        setImmediate(kill)
        return
      }
      rec.bytesIn += chunk.length
      opts.onRequestBytes?.(rec)
      if (!up.write(chunk)) {
        req.pause()
        up.once('drain', () => req.resume())
      }
    })
    if (!opts.bufferRequests) {
      req.on('end', () => up.end())
      req.on('aborted', () => up.destroy())
    }
    up.on('response', (upRes) => {
      const outHeaders = forwardHeaders(upRes.headers)
      if (overlay?.headers) for (const [k, v] of Object.entries(overlay.headers)) outHeaders[k.toLowerCase()] = v
      if (overlay?.body !== undefined) {
        upRes.resume()
        outHeaders['content-length'] = Buffer.byteLength(overlay.body)
        delete outHeaders['transfer-encoding']
        return answer(res, rec, upRes.statusCode ?? 502, outHeaders, overlay.body)
      }
      rec.status = upRes.statusCode ?? 502
      rec.answeredMs = performance.now()
      res.writeHead(rec.status, outHeaders)
      if (reset?.direction === 'response' && reset.resetAfterBytes === 0) {
        res.flushHeaders()
        upRes.destroy()
        setImmediate(() => res.socket?.destroy())
        return
      }
      upRes.on('data', (chunk: Buffer) => {
        if (reset?.direction === 'response' && rec.bytesOut + chunk.length >= reset.resetAfterBytes) {
          const part = chunk.subarray(0, reset.resetAfterBytes - rec.bytesOut)
          rec.bytesOut += part.length
          upRes.destroy()
          // FIN after exactly `part`: the client sees a body shorter than Content-Length.
          res.write(part, () => res.socket?.destroy())
          return
        }
        rec.bytesOut += chunk.length
        if (!res.write(chunk)) {
          upRes.pause()
          res.once('drain', () => upRes.resume())
        }
      })
      upRes.on('end', () => res.end())
      upRes.on('error', () => res.destroy())
    })
  }

  await new Promise<void>((ok, fail) => {
    server.once('error', fail)
    server.listen(0, opts.bindHost ?? '127.0.0.1', () => ok())
  })
  const addr = server.address() as AddressInfo
  const host = `${opts.bindHost ?? '127.0.0.1'}:${addr.port}`
  return {
    host,
    url: `http://${host}`,
    requests,
    setRules(next) {
      current = next
      counts = next.map(() => 0)
    },
    stop: () => new Promise<void>((ok) => {
      for (const s of sockets) s.destroy()
      server.close(() => ok())
    }),
  }
}

function drainThen(req: IncomingMessage, rec: ProxiedRequest, then: () => void): void {
  req.on('data', (c: Buffer) => { rec.bytesIn += c.length })
  req.on('end', then)
  req.on('error', () => {})
}

function answer(res: ServerResponse, rec: ProxiedRequest, status: number, headers: OutgoingHttpHeaders, body: string): void {
  rec.status = status
  rec.answeredMs = performance.now()
  const h: OutgoingHttpHeaders = {}
  for (const [k, v] of Object.entries(headers)) h[k.toLowerCase()] = v
  if (h['content-length'] === undefined) h['content-length'] = Buffer.byteLength(body)
  res.writeHead(status, h)
  if (body && rec.method !== 'HEAD') rec.bytesOut += Buffer.byteLength(body)
  res.end(rec.method === 'HEAD' ? undefined : body)
}
