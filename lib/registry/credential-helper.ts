/** Docker credential helper protocol (oci-registry.md §2.6, docker-credential-helpers
 * client/client.go): exec `docker-credential-<name> get`, server URL on stdin, JSON on stdout.
 */
import { execFile } from 'node:child_process'
import { LadingError } from '../errors.js'
import type { Credential } from './credential.js'

/** Options for runCredentialHelper. */
export interface CredentialHelperOptions { timeoutMs?: number }

/** The helper failed (missing binary, timeout, bad output, or an error other than "not found"). */
export class CredentialHelperError extends LadingError {
  constructor(readonly helper: string, message: string, cause?: unknown) {
    super('ERR_CREDENTIAL_HELPER', message, cause === undefined ? undefined : { cause })
  }
}

/**
 * Asks `docker-credential-<name>` for the credentials of `serverUrl`. Returns undefined when the
 * helper says "credentials not found"; a username of `<token>` makes the secret an identity
 * (refresh) token. Runs without a shell, with a timeout; stdout text is never put in errors
 * because it may hold secrets.
 */
export function runCredentialHelper(name: string, serverUrl: string, opts: CredentialHelperOptions = {}): Promise<Credential | undefined> {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) {
    return Promise.reject(new CredentialHelperError(name, `invalid credential helper name ${JSON.stringify(name)} in docker config`))
  }
  const bin = `docker-credential-${name}`
  return new Promise((resolve, reject) => {
    const child = execFile(bin, ['get'], { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 1 << 20, windowsHide: true }, (err, stdout) => {
      const out = String(stdout ?? '').trim()
      if (err) {
        if (/credentials not found/i.test(out)) {
          resolve(undefined)
          return
        }
        const code = (err as NodeJS.ErrnoException).code
        const why = code === 'ENOENT' ? `${bin} is not on PATH`
          : (err as { killed?: boolean }).killed ? `${bin} timed out` : `${bin} exited with an error`
        reject(new CredentialHelperError(name, `credential helper failed for ${serverUrl}: ${why}; check credHelpers/credsStore in the docker config`))
        return
      }
      try {
        const v = JSON.parse(out) as { Username?: unknown; Secret?: unknown }
        const username = typeof v.Username === 'string' ? v.Username : ''
        const secret = typeof v.Secret === 'string' ? v.Secret : ''
        if (!secret && !username) {
          resolve(undefined)
          return
        }
        resolve(username === '<token>' ? { identityToken: secret } : { username, password: secret })
      } catch {
        reject(new CredentialHelperError(name, `credential helper ${bin} printed output that is not JSON for ${serverUrl}`))
      }
    })
    child.stdin?.on('error', () => {}) // a helper that exits before reading stdin must not crash us
    child.stdin?.end(serverUrl)
  })
}
