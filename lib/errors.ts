// LadingError, the base of every typed error with its stable ERR_* code, and redaction of secrets in messages.
/**
 * Base error for everything lading throws on purpose. Callers branch on `code` (stable, Node style
 * `ERR_<AREA>_<WHAT>`) or on `instanceof`, never on message text.
 */
export class LadingError extends Error {
  readonly code: string
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

/** Wraps `err` with one line of context, keeping it as `cause`; LadingErrors keep their code. */
export function wrapError(context: string, err: unknown): LadingError {
  if (err instanceof LadingError) {
    const wrapped = new LadingError(err.code, `${context}: ${err.message}`, { cause: err })
    return wrapped
  }
  const msg = err instanceof Error ? err.message : String(err)
  return new LadingError('ERR_UNEXPECTED', `${context}: ${msg}`, { cause: err })
}

const SECRET_PARAMS = /([?&](?:access_token|token|_state|X-Amz-[A-Za-z-]+|sig|signature|se|sv|password|code)=)[^&#]*/gi

/**
 * Returns `url` with userinfo and secret-looking query values replaced by `***`, so it can go
 * into an error message or a log line. Upload `_state` tokens and presigned-URL signatures
 * count as secrets: they grant access on their own.
 */
export function redactUrl(url: string | URL): string {
  let s = String(url)
  try {
    const u = new URL(s)
    if (u.username || u.password) {
      u.username = u.username ? '***' : ''
      u.password = u.password ? '***' : ''
    }
    s = u.toString()
  } catch {
    // not a URL: still scrub query-looking parts below
  }
  return s.replace(SECRET_PARAMS, '$1***')
}

/** Replaces every occurrence of each non-empty secret in `text` with `***`. */
export function redactSecrets(text: string, secrets: Iterable<string | undefined>): string {
  let out = text
  for (const s of secrets) {
    if (s && s.length >= 4) out = out.split(s).join('***')
  }
  return out
}
