/** Typed registry errors (oci-registry.md §1.11). Every message says what happened and what to do;
 * none carries credentials: URLs are redacted and body text is scrubbed of known secrets by the
 * caller before it gets here.
 */
import { LadingError, redactUrl } from '../errors.js'
import { definedOnly } from '../defined.js'

/** One entry of an OCI error body `{"errors":[{code,message,detail}]}`. */
export interface RegistryErrorDetail { code: string; message: string; detail?: unknown }

/** What a registry error is about; lets messages name the missing thing. */
export type RegistryObject = 'manifest' | 'blob' | 'repository' | 'upload' | 'tag' | 'registry' | 'token'

/** Fields shared by every RegistryError. */
export interface RegistryErrorInit {
  status: number
  method: string
  url: string
  errors?: RegistryErrorDetail[]
  retryable?: boolean
  cause?: unknown
}

/** Any failed registry exchange: HTTP status (0 when no response), method, redacted URL and OCI error entries. */
export class RegistryError extends LadingError {
  readonly status: number
  readonly method: string
  readonly url: string
  readonly errors: RegistryErrorDetail[]
  readonly retryable: boolean
  constructor(code: string, message: string, init: RegistryErrorInit) {
    super(code, message, init.cause === undefined ? undefined : { cause: init.cause })
    this.status = init.status
    this.method = init.method
    this.url = redactUrl(init.url)
    this.errors = init.errors ?? []
    this.retryable = init.retryable ?? false
  }
}

/** 401: credentials missing, wrong, or a token the registry refused. `challenge` is the WWW-Authenticate value. */
export class UnauthorizedError extends RegistryError {
  readonly challenge: string | undefined
  constructor(message: string, init: RegistryErrorInit & { challenge?: string }) {
    super('ERR_REGISTRY_UNAUTHORIZED', message, init)
    this.challenge = init.challenge
  }
}

/** 403: authenticated but not allowed. */
export class DeniedError extends RegistryError {
  constructor(message: string, init: RegistryErrorInit) {
    super('ERR_REGISTRY_DENIED', message, init)
  }
}

/** 404: the repository, manifest, blob or upload session does not exist. */
export class NotFoundError extends RegistryError {
  readonly what: RegistryObject
  constructor(message: string, init: RegistryErrorInit & { what: RegistryObject }) {
    super('ERR_REGISTRY_NOT_FOUND', message, init)
    this.what = init.what
  }
}

/** 429: rate limited; `retryAfterMs` from Retry-After when the registry sent one. */
export class TooManyRequestsError extends RegistryError {
  readonly retryAfterMs: number | undefined
  constructor(message: string, init: RegistryErrorInit & { retryAfterMs?: number }) {
    super('ERR_REGISTRY_RATE_LIMITED', message, { ...init, retryable: init.retryable ?? true })
    this.retryAfterMs = init.retryAfterMs
  }
}

/** 5xx (and 408): the registry failed; usually worth retrying later. */
export class ServerError extends RegistryError {
  constructor(message: string, init: RegistryErrorInit) {
    super('ERR_REGISTRY_SERVER', message, { ...init, retryable: init.retryable ?? true })
  }
}

/** No HTTP answer at all: DNS failure, connection refused/reset, TLS failure, timeout. */
export class UnreachableError extends RegistryError {
  constructor(message: string, init: Omit<RegistryErrorInit, 'status'> & { status?: number }) {
    super('ERR_REGISTRY_UNREACHABLE', message, { ...init, status: init.status ?? 0 })
  }
}

/** The registry answered something the protocol does not allow, or we refuse what it sent. */
export class ProtocolError extends RegistryError {
  constructor(message: string, init: RegistryErrorInit, code = 'ERR_REGISTRY_PROTOCOL') {
    super(code, message, init)
  }
}

/** Parses an OCI error body leniently: non-JSON (text/HTML) bodies give no entries. */
export function parseErrorBody(text: string): RegistryErrorDetail[] {
  if (!text.trim().startsWith('{')) return []
  try {
    const v = JSON.parse(text) as { errors?: unknown; details?: unknown }
    if (!Array.isArray(v.errors)) return []
    return v.errors.flatMap((e: unknown) => {
      if (!e || typeof e !== 'object') return []
      const r = e as Record<string, unknown>
      const out: RegistryErrorDetail = { code: String(r.code ?? 'UNKNOWN'), message: String(r.message ?? '') }
      if (r.detail !== undefined) out.detail = r.detail
      return [out]
    })
  } catch {
    return []
  }
}

/** Codes that mean "try again" even when the status alone would not (ggcr's Temporary()). */
const RETRYABLE_CODES = new Set(['TOOMANYREQUESTS', 'UNAVAILABLE', 'UNKNOWN'])

/** Statuses retried automatically (for replayable requests). */
export const RETRYABLE_STATUS = new Set([408, 429, 499, 500, 502, 503, 504, 522])

/** Context a response error is built from. */
export interface ResponseErrorContext {
  method: string
  url: string
  status: number
  /** Error body text (already capped and scrubbed of secrets). */
  body: string
  registry: string
  /** Repository and reference the request was about, for messages. */
  subject?: string
  what?: RegistryObject
  challenge?: string
  retryAfterMs?: number
  /** True when no credentials were sent. */
  anonymous?: boolean
}

/** Builds the typed error for a non-success registry response. */
export function errorFromResponse(ctx: ResponseErrorContext): RegistryError {
  const errors = parseErrorBody(ctx.body)
  const init: RegistryErrorInit = { status: ctx.status, method: ctx.method, url: ctx.url, errors }
  const where = `${ctx.method} ${redactUrl(ctx.url)} → ${ctx.status}`
  const said = summarize(errors, ctx.body)
  const subject = ctx.subject ?? ctx.registry
  switch (ctx.status) {
    case 401:
      return new UnauthorizedError(ctx.anonymous
        ? `authentication required by ${ctx.registry} for ${subject} (${where}${said}): log in (docker login ${ctx.registry}) or set CNB_REGISTRY_AUTH`
        : `authentication failed for ${ctx.registry} (${where}${said}): check the username/password in ~/.docker/config.json or CNB_REGISTRY_AUTH`,
      definedOnly({ ...init, challenge: ctx.challenge || undefined }))
    case 403:
      return new DeniedError(`access denied to ${subject} (${where}${said}): the credentials for ${ctx.registry} lack permission for this operation`, init)
    case 404: {
      const what = whatFromCodes(errors) ?? ctx.what ?? 'repository'
      return new NotFoundError(`${what} not found: ${subject} (${where}${said}): check the repository name, tag or digest`, { ...init, what })
    }
    case 429: {
      const after = ctx.retryAfterMs !== undefined ? `retry after ${Math.ceil(ctx.retryAfterMs / 1000)}s` : 'retry later'
      return new TooManyRequestsError(`rate limited by ${ctx.registry} (${where}${said}): ${after}, or log in for a higher limit`,
        definedOnly({ ...init, retryAfterMs: ctx.retryAfterMs }))
    }
  }
  if (ctx.status >= 500 || ctx.status === 408) {
    return new ServerError(`registry ${ctx.registry} failed (${where}${said}): it may be overloaded or down; retry later`, init)
  }
  const retryable = errors.length > 0 && errors.every((e) => RETRYABLE_CODES.has(e.code))
  return new RegistryError('ERR_REGISTRY_REQUEST', `registry ${ctx.registry} rejected the request for ${subject} (${where}${said})`,
    { ...init, retryable })
}

function whatFromCodes(errors: RegistryErrorDetail[]): RegistryObject | undefined {
  for (const e of errors) {
    if (e.code === 'NAME_UNKNOWN') return 'repository'
    if (e.code === 'MANIFEST_UNKNOWN') return 'manifest'
    if (e.code === 'BLOB_UNKNOWN') return 'blob'
    if (e.code.startsWith('BLOB_UPLOAD_')) return 'upload'
  }
  return undefined
}

function summarize(errors: RegistryErrorDetail[], body: string): string {
  if (errors.length > 0) {
    const parts = errors.slice(0, 3).map((e) => {
      const d = e.detail === undefined ? '' : ` ${truncate(typeof e.detail === 'string' ? e.detail : JSON.stringify(e.detail), 200)}`
      return `${e.code}: ${truncate(e.message, 200)}${d}`
    })
    return `; ${parts.join('; ')}`
  }
  const text = body.replace(/\s+/g, ' ').trim()
  return text && !text.startsWith('<') ? `; ${truncate(text, 200)}` : ''
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s
}
