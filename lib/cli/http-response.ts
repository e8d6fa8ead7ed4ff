/** undici's request() (a promise of status, headers and a readable body) over any dispatch(), for
 * the Node-http transport: lib/registry then never loads undici's request API, its body class,
 * error classes and header tables, nor node:assert and node:querystring (~3 ms of a one-off command).
 */
import { Readable } from 'node:stream'

/** What undici's request API hands a dispatcher (the fields lib/registry sets). */
export interface DispatchOptions {
  origin: string | URL
  path: string
  method: string
  headers?: Record<string, string | string[] | undefined> | null
  body?: Uint8Array | string | Readable | null
}

/** The fields of undici's request options that lib/registry sets. */
export interface RequestOptions extends DispatchOptions {
  signal?: AbortSignal | null
}

/** What request() resolves to: undici's ResponseData, as far as lib/registry reads it. */
export interface Response {
  statusCode: number
  headers: Record<string, string | string[]>
  body: ResponseBody
}

/** undici's request handler, as its `request()` API passes it to `dispatch`. */
export interface DispatchHandler {
  onConnect?(abort: (err?: Error) => void, context: unknown): void
  onHeaders?(status: number, rawHeaders: string[], resume: () => void, statusText: string): boolean | void
  onData?(chunk: Buffer): boolean | void
  onComplete?(trailers: string[]): void
  onError?(err: Error): void
}

/** Something that sends one request and reports through undici's handler callbacks. */
export type Dispatch = (opts: DispatchOptions, handler: DispatchHandler) => boolean

/** An error with one of the codes lib/registry's retry rules know from undici. */
export function coded(code: string, message: string): Error {
  return Object.assign(new Error(message), { code })
}

/** Why `signal` aborted, as an Error (undici's UND_ERR_ABORTED when its reason is not one). */
export function reasonOf(signal: AbortSignal | undefined): Error {
  const r: unknown = signal?.reason
  return r instanceof Error ? r : coded('UND_ERR_ABORTED', 'Request aborted')
}

// undici's BodyReadable dump(): read this much of a body nobody wants before dropping the connection.
const DUMP_LIMIT = 128 * 1024

/** A response body: a Readable fed by the dispatcher, with undici's dump(). */
export class ResponseBody extends Readable {
  readonly #resume: () => void
  readonly #abort: (err: Error) => void
  #complete = false

  constructor(resume: () => void, abort: (err: Error) => void) {
    super({ highWaterMark: 64 * 1024 })
    this.#resume = resume
    this.#abort = abort
  }

  override _read(): void {
    this.#resume()
  }

  /** The dispatcher has delivered the whole body. */
  complete(): void {
    this.#complete = true
    this.push(null)
  }

  // Like undici's: a body dropped before its end cuts the request, so its socket is not left paused.
  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (!this.#complete) this.#abort(err ?? coded('UND_ERR_ABORTED', 'Request aborted'))
    cb(err)
  }

  /** Reads and drops the body (up to 128 KiB, then the stream is destroyed); resolves once it is closed. */
  dump(): Promise<void> {
    if (this.closed) return Promise.resolve()
    return new Promise((resolve) => {
      let n = 0
      this.on('error', () => {})
      this.on('close', () => resolve())
      this.on('data', (c: Buffer) => {
        n += c.length
        if (n > DUMP_LIMIT) this.destroy()
      })
      this.resume()
    })
  }
}

/** Headers as undici gives them: names lowercased, a repeated header as an array of its values. */
export function parseRawHeaders(raw: readonly string[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const k = raw[i]!.toLowerCase()
    const v = raw[i + 1]!
    const had = out[k]
    out[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v]
  }
  return out
}

/**
 * undici's request(): resolves at the response headers, then feeds the body with backpressure.
 * An abort of `opts.signal` fails the request, or the body after the headers, with the signal's reason.
 */
export function request(dispatch: Dispatch, opts: RequestOptions): Promise<Response> {
  const signal = opts.signal ?? undefined
  if (signal?.aborted) return Promise.reject(reasonOf(signal))
  return new Promise((resolve, reject) => {
    let body: ResponseBody | undefined
    let abort: ((err?: Error) => void) | undefined
    const onAbort = (): void => abort?.(reasonOf(signal!))
    signal?.addEventListener('abort', onAbort, { once: true })
    const done = (): void => signal?.removeEventListener('abort', onAbort)
    dispatch(opts, {
      onConnect: (a) => {
        abort = a
      },
      onHeaders: (status, raw, resume) => {
        body = new ResponseBody(resume, (err) => abort?.(err))
        resolve({ statusCode: status, headers: parseRawHeaders(raw), body })
        return true
      },
      onData: (chunk) => body!.push(chunk),
      onComplete: () => {
        done()
        body!.complete()
      },
      onError: (err) => {
        done()
        if (body) body.destroy(err)
        else reject(err)
      },
    })
  })
}
