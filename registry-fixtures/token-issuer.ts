/**
 * Minimal Docker registry token server for tests (distribution `docs/spec/auth/token.md` and
 * `oauth.md`; see shared/reference/oci-registry.md §2.2 and the §5 token recipe verified on 2.8.2).
 * Runs inside the test process on its own loopback port; the registry only needs its certificate.
 */
import { createPrivateKey, randomBytes, randomUUID, sign, X509Certificate, type KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { signingMaterial } from './certs.js'

/** One requested/granted resource access, as in the JWT `access` claim. */
export interface TokenAccess { type: string; name: string; actions: string[] }

/** What the issuer saw for one token request (tests assert on these). */
export interface TokenRequestRecord {
  time: Date
  method: 'GET' | 'POST'
  /** Requested scopes, one entry per scope (space-separated params are split). */
  scopes: string[]
  /** True when valid credentials (Basic, password grant or refresh token) were presented. */
  authenticated: boolean
  account?: string
  grantType?: string
  status: number
  granted: TokenAccess[]
}

/** A running token issuer. */
export interface TokenIssuer {
  /** `http://127.0.0.1:<port>/token`: the `realm` the registry announces. */
  realm: string
  service: string
  issuer: string
  /** PEM certificate for the registry's `auth.token.rootcertbundle`. */
  certFile: string
  /** Lifetime of new tokens in seconds; tests may change it between requests. */
  ttlSeconds: number
  requests: TokenRequestRecord[]
  stop(): Promise<void>
}

/** Options for {@link startTokenIssuer}. */
export interface TokenIssuerOptions {
  /** username → password of accounts that get every requested action. */
  users: Record<string, string>
  service?: string
  issuer?: string
  /** Token lifetime in seconds (default 300). */
  ttlSeconds?: number
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url')

/**
 * Parses `type:name:actions` (name may hold one `:` for host:port, so the type ends at the first
 * colon and the actions start after the last one). Returns undefined for malformed scopes.
 */
export function parseScope(scope: string): TokenAccess | undefined {
  const first = scope.indexOf(':')
  const last = scope.lastIndexOf(':')
  if (first <= 0 || last === first) return undefined
  const type = scope.slice(0, first).replace(/\(.*\)$/, '')
  const name = scope.slice(first + 1, last)
  const actions = scope.slice(last + 1).split(',').filter(Boolean)
  if (!name) return undefined
  return { type, name, actions }
}

/**
 * Starts the issuer on 127.0.0.1:<free port>. GET `realm?service&scope…` with Basic credentials
 * grants every requested action; anonymous GET grants only `pull`; wrong credentials → 401.
 * POST (OAuth2 form, grant_type password|refresh_token) works the same way and returns a
 * `refresh_token` when `access_type=offline`. Tokens expire at now + ttl − 60 s because the
 * registry adds 60 s of leeway, so a token is really usable for about `ttlSeconds`.
 */
export async function startTokenIssuer(opts: TokenIssuerOptions): Promise<TokenIssuer> {
  const mat = await signingMaterial()
  const certPem = readFileSync(mat.certFile, 'utf8')
  const key = createPrivateKey(readFileSync(mat.keyFile))
  const certDer = new X509Certificate(certPem).raw
  const refreshTokens = new Map<string, string>()
  const service = opts.service ?? 'lading-test-registry'
  const issuerName = opts.issuer ?? 'lading-test-issuer'
  const requests: TokenRequestRecord[] = []

  const state: TokenIssuer = {
    realm: '',
    service,
    issuer: issuerName,
    certFile: mat.certFile,
    ttlSeconds: opts.ttlSeconds ?? 300,
    requests,
    stop: async () => {},
  }

  const mint = (account: string | undefined, access: TokenAccess[]): { token: string; expiresIn: number; issuedAt: Date } => {
    const now = Math.floor(Date.now() / 1000)
    const header = { typ: 'JWT', alg: 'ES256', x5c: [certDer.toString('base64')] }
    const claims = {
      iss: issuerName, sub: account ?? '', aud: service,
      exp: now + state.ttlSeconds - 60, nbf: now - 1, iat: now, jti: randomUUID(), access,
    }
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`
    const sig = sign('sha256', Buffer.from(input), { key: key as KeyObject, dsaEncoding: 'ieee-p1363' })
    return { token: `${input}.${b64url(sig)}`, expiresIn: state.ttlSeconds, issuedAt: new Date(now * 1000) }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' })
      res.end(String(e))
    })
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://issuer')
    if (url.pathname !== '/token' || (req.method !== 'GET' && req.method !== 'POST')) {
      res.writeHead(404).end()
      return
    }
    let params = url.searchParams
    if (req.method === 'POST') {
      const chunks: Buffer[] = []
      for await (const c of req) chunks.push(c as Buffer)
      params = new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
    } else {
      req.resume()
    }
    const scopes = params.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean)
    const record: TokenRequestRecord = {
      time: new Date(), method: req.method as 'GET' | 'POST', scopes, authenticated: false, status: 0, granted: [],
    }
    requests.push(record)
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      record.status = status
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body))
    }
    const deny = (why: string): void =>
      reply(401, { errors: [{ code: 'UNAUTHORIZED', message: why }] }, { 'www-authenticate': 'Basic realm="lading-token"' })

    // Who is asking: Basic header (GET and POST), or an OAuth2 grant in the form (POST).
    let account: string | undefined
    const grant = req.method === 'POST' ? params.get('grant_type') ?? '' : undefined
    if (grant !== undefined) record.grantType = grant
    const authz = req.headers.authorization
    if (grant === 'password' || grant === undefined || grant === '') {
      let user: string | undefined
      let pass: string | undefined
      if (grant === 'password') {
        user = params.get('username') ?? undefined
        pass = params.get('password') ?? undefined
      } else if (authz && /^basic /i.test(authz)) {
        const raw = Buffer.from(authz.slice(6).trim(), 'base64').toString('utf8')
        const i = raw.indexOf(':')
        user = i < 0 ? raw : raw.slice(0, i)
        pass = i < 0 ? '' : raw.slice(i + 1)
      }
      if (user !== undefined) {
        if (opts.users[user] === undefined || opts.users[user] !== pass) return deny('invalid username or password')
        account = user
      }
    } else if (grant === 'refresh_token') {
      account = refreshTokens.get(params.get('refresh_token') ?? '')
      if (account === undefined) return deny('invalid refresh token')
    } else {
      return reply(400, { error: 'unsupported_grant_type' })
    }
    record.authenticated = account !== undefined
    if (account !== undefined) record.account = account

    const granted: TokenAccess[] = []
    for (const s of scopes) {
      const a = parseScope(s)
      if (!a) continue
      const actions = account !== undefined ? a.actions : a.actions.filter((x) => x === 'pull')
      if (actions.length) granted.push({ ...a, actions })
    }
    record.granted = granted
    const t = mint(account, granted)
    const body: Record<string, unknown> = {
      token: t.token, access_token: t.token, expires_in: t.expiresIn, issued_at: t.issuedAt.toISOString(),
    }
    const offline = params.get('access_type') === 'offline' || params.get('offline_token') === 'true'
    if (account !== undefined && (offline || grant === 'refresh_token')) {
      const rt = grant === 'refresh_token' ? params.get('refresh_token') ?? '' : randomBytes(24).toString('hex')
      refreshTokens.set(rt, account)
      body.refresh_token = rt
    }
    reply(200, body)
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  state.realm = `http://127.0.0.1:${port}/token`
  state.stop = () => new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  })
  return state
}
