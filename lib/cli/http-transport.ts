/** The registry transport of commands that move manifests and existing blobs (digest, manifest,
 * copy, rebase…): Node's own http/https behind the part of undici's Dispatcher interface that
 * lib/registry calls. Loading undici's connection pool and compiling its WebAssembly HTTP parser
 * costs a one-off command ~60 ms of CPU, more than its requests take on a near registry.
 */
import type { ClientRequest, IncomingMessage, Agent as HttpAgent, RequestOptions } from 'node:http'
import { coded, reasonOf, request, type DispatchHandler, type DispatchOptions, type RequestOptions as ApiRequestOptions, type Response } from './http-response.js'

/** Options for {@link NodeHttpDispatcher}. */
export interface NodeHttpOptions {
  /** Hosts whose TLS certificate is not verified (the client's insecure registries). */
  insecure?: (host: string) => boolean
  /** Wait for response headers after the request is sent (undici's headersTimeout). */
  headersTimeoutMs?: number
  /** Longest pause between response body chunks (undici's bodyTimeout). */
  bodyTimeoutMs?: number
  /**
   * Aborts every request in flight, and fails later ones at once, with the signal's reason: a
   * command stops on SIGINT/SIGTERM even where a call passed no signal of its own.
   */
  signal?: AbortSignal
  /**
   * Called once, the first time every request in flight has been sent and none has its answer:
   * the registry is working and this process has nothing to do until it answers. A one-off
   * command loads there what it needs next (node:crypto, to check what comes back).
   */
  whileWaiting?: () => void
  /**
   * close() leaves idle keep-alive connections open (Node's agent has unref'd them): the process
   * exits right after and the OS closes them. Destroying a socket makes Node create
   * process.stderr on the way (net's close path compares the socket with it), ~1 ms a command.
   */
  leaveIdleAtClose?: boolean
}

type HttpModule = typeof import('node:http')
type HttpsModule = typeof import('node:https')

/**
 * A Dispatcher over node:http (keep-alive, unlimited sockets per host, like undici's Agent).
 * node:https and TLS load only when an https URL is first asked for. Error codes match undici's
 * where lib/registry tells failures apart: timeouts, a closed socket, a body longer or shorter
 * than its Content-Length.
 */
export class NodeHttpDispatcher {
  readonly #opts: NodeHttpOptions
  readonly #agents = new Map<string, HttpAgent>()
  readonly #inFlight = new Set<(err: Error) => void>()
  #closed = false
  // Requests whose bytes are not all handed to the OS yet, and the whileWaiting hook until it runs.
  #unsent = 0
  #whileWaiting: (() => void) | undefined

  constructor(opts: NodeHttpOptions = {}) {
    this.#opts = opts
    this.#whileWaiting = opts.whileWaiting
    opts.signal?.addEventListener('abort', () => {
      for (const abort of [...this.#inFlight]) abort(reasonOf(this.#opts.signal))
    }, { once: true })
  }

  #agent(url: URL): { mod: HttpModule | HttpsModule; agent: HttpAgent } {
    const secure = url.protocol === 'https:'
    const unverified = secure && this.#opts.insecure?.(url.host) === true
    const key = secure ? (unverified ? 'https-unverified' : 'https') : 'http'
    const mod = process.getBuiltinModule(secure ? 'node:https' : 'node:http') as HttpModule | HttpsModule
    let agent = this.#agents.get(key)
    if (!agent) {
      agent = secure ? new (mod as HttpsModule).Agent({ keepAlive: true, rejectUnauthorized: !unverified }) : new mod.Agent({ keepAlive: true })
      this.#agents.set(key, agent)
    }
    return { mod, agent }
  }

  /** Sends one request; reports through `handler` exactly once with onComplete or onError. */
  dispatch(opts: DispatchOptions, handler: DispatchHandler): boolean {
    let settled = false
    let req: ClientRequest | undefined
    let res: IncomingMessage | undefined
    let timer: NodeJS.Timeout | undefined
    let unsent = false
    const sent = (): void => {
      if (!unsent) return
      unsent = false
      this.#unsent--
      if (this.#unsent === 0 && this.#whileWaiting) setImmediate(() => this.#waiting())
    }
    const fail = (err: Error): void => {
      clearTimeout(timer)
      sent()
      if (settled) return
      settled = true
      this.#inFlight.delete(abort)
      handler.onError?.(err)
    }
    const abort = (err?: Error): void => {
      const e = err ?? coded('UND_ERR_ABORTED', 'Request aborted')
      req?.destroy(e)
      res?.destroy(e)
      fail(e)
    }
    handler.onConnect?.(abort, null)
    if (settled) return true
    if (this.#opts.signal?.aborted) {
      fail(reasonOf(this.#opts.signal))
      return true
    }
    if (this.#closed) {
      fail(coded('UND_ERR_CLOSED', 'The client is closed'))
      return true
    }
    this.#inFlight.add(abort)
    try {
      const url = new URL(opts.path, opts.origin)
      const { mod, agent } = this.#agent(url)
      const headers = Object.fromEntries(Object.entries(opts.headers ?? {}).filter(([, v]) => v !== undefined)) as RequestOptions['headers']
      req = mod.request({
        protocol: url.protocol, hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: url.port, path: opts.path,
        method: opts.method, headers, agent,
      })
    } catch (err) {
      fail(err as Error)
      return true
    }
    const r = req
    unsent = true
    this.#unsent++
    const headersTimeout = this.#opts.headersTimeoutMs ?? 60_000
    const bodyTimeout = this.#opts.bodyTimeoutMs ?? 120_000
    r.on('error', fail)
    r.on('finish', () => {
      sent()
      if (!res && !settled) timer = setTimeout(() => abort(coded('UND_ERR_HEADERS_TIMEOUT', 'Headers Timeout Error')), headersTimeout).unref()
    })
    r.on('response', (m) => {
      clearTimeout(timer)
      sent()
      res = m
      if (settled) {
        m.destroy()
        return
      }
      // The body timeout runs while bytes are expected, not while the reader holds the stream paused.
      const arm = (): void => {
        clearTimeout(timer)
        timer = setTimeout(() => abort(coded('UND_ERR_BODY_TIMEOUT', 'Body Timeout Error')), bodyTimeout).unref()
      }
      arm()
      const resume = (): void => {
        if (!settled && m.isPaused()) arm()
        m.resume()
      }
      handler.onHeaders?.(m.statusCode ?? 0, m.rawHeaders, resume, m.statusMessage ?? '')
      m.on('data', (chunk: Buffer) => {
        if (settled) return
        timer?.refresh()
        if (handler.onData?.(chunk) === false) {
          clearTimeout(timer)
          m.pause()
        }
      })
      m.on('end', () => {
        clearTimeout(timer)
        if (settled) return
        settled = true
        this.#inFlight.delete(abort)
        handler.onComplete?.(m.rawTrailers)
      })
      m.on('error', fail)
      m.on('close', () => {
        if (!m.complete) fail(coded('UND_ERR_SOCKET', 'other side closed'))
      })
    })
    sendBody(r, opts, abort)
    return true
  }

  // Still nothing to send and answers outstanding (a request dispatched in the meantime may be
  // waiting for its socket): the hook's work overlaps the registry's.
  #waiting(): void {
    const hook = this.#whileWaiting
    if (!hook || this.#unsent > 0 || this.#inFlight.size === 0) return
    this.#whileWaiting = undefined
    try {
      hook()
    } catch {
      // it was only a head start: whatever it loads is loaded again where it is used
    }
  }

  /** undici's request API over dispatch(): lib/registry uses it instead of undici's own when it is there. */
  request(opts: ApiRequestOptions): Promise<Response> {
    return request((o, h) => this.dispatch(o, h), opts)
  }

  /**
   * Ends every connection, or with leaveIdleAtClose only those in use (the CLI closes it once its
   * command is done); later requests fail with UND_ERR_CLOSED.
   */
  async close(): Promise<void> {
    this.#closed = true
    if (!this.#opts.leaveIdleAtClose) {
      for (const a of this.#agents.values()) a.destroy()
      return
    }
    for (const abort of [...this.#inFlight]) abort(coded('UND_ERR_CLOSED', 'The client is closed'))
  }

  /** The same as close(): nothing here waits for requests to finish. */
  async destroy(): Promise<void> {
    await this.close()
  }
}

/** Writes the request body: bytes at once, a stream with backpressure and its length checked. */
function sendBody(req: ClientRequest, opts: DispatchOptions, abort: (err?: Error) => void): void {
  const body = opts.body
  if (body === undefined || body === null) {
    req.end()
    return
  }
  if (typeof body === 'string' || body instanceof Uint8Array) {
    req.end(body)
    return
  }
  const lengthHeader = Object.entries(opts.headers ?? {}).find(([k]) => k.toLowerCase() === 'content-length')?.[1]
  const declared = lengthHeader === undefined ? undefined : Number(lengthHeader)
  let sent = 0
  const mismatch = (): Error => coded('UND_ERR_REQ_CONTENT_LENGTH_MISMATCH', `Request body length does not match content-length header (sent ${sent}, declared ${declared})`)
  const onData = (chunk: Buffer): void => {
    sent += chunk.length
    if (declared !== undefined && sent > declared) {
      abort(mismatch())
      return
    }
    if (!req.write(chunk)) body.pause()
  }
  const onDrain = (): void => {
    body.resume()
  }
  const cleanup = (): void => {
    body.off('data', onData)
    req.off('drain', onDrain)
  }
  body.on('data', onData)
  req.on('drain', onDrain)
  body.once('end', () => {
    cleanup()
    if (declared !== undefined && sent !== declared) abort(mismatch())
    else req.end()
  })
  body.once('error', (err) => {
    cleanup()
    abort(err)
  })
  req.once('close', () => {
    cleanup()
    if (!body.destroyed && !body.readableEnded) body.destroy()
  })
}
