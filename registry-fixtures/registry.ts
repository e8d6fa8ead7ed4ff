/**
 * Starts and stops the real CNCF distribution registry (Debian `docker-registry` 2.8.2) on a free
 * loopback port with its own config, storage and log in a temp dir. See
 * shared/reference/oci-registry.md §1.12 (observed behaviour) and §5 (harness notes).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startBlobHost, type BlobHost } from './blob-host.js'
import { tlsMaterial } from './certs.js'
import { trackChild, trackDir, untrackChild, untrackDir } from './cleanup.js'
import { runToolOk } from './exec-tool.js'
import { FixtureError } from './fixture-error.js'
import { freePort } from './free-port.js'
import { startTokenIssuer, type TokenIssuer } from './token-issuer.js'

/** `http`: no auth, plain HTTP. `tls-basic`: HTTPS + htpasswd. `token`: plain HTTP + bearer tokens. */
export type RegistryVariant = 'http' | 'tls-basic' | 'token'

/** A running registry. Everything it created is removed by stop(). */
export interface RegistryFixture {
  variant: RegistryVariant
  /** `127.0.0.1:<port>`, as used in image references. */
  host: string
  /** `http://127.0.0.1:<port>` or `https://127.0.0.1:<port>`. */
  url: string
  /** Filesystem storage root; blobs live under `docker/registry/v2/blobs/sha256/<2>/<hex>/data`. */
  rootDir: string
  /** PEM of the CA that signed the server certificate (tls-basic only). */
  caFile?: string
  /** Directory holding only `ca.crt`, for skopeo/podman `--cert-dir` (tls-basic only). */
  certDir?: string
  /** Valid credentials (tls-basic and token variants). */
  username?: string
  password?: string
  /** Directory with a Docker `config.json` whose `auths` has this host (empty `auths` for http). */
  dockerConfigDir: string
  /** The registry's log (stderr), for debugging failed tests. */
  logFile: string
  /** Process id of the registry (under `setpriv`, which execs it, so it is the registry itself). */
  pid: number
  tokenIssuer?: TokenIssuer
  /** Present when started with `withBlobHost`: the 127.0.0.2 server that redirects point at. */
  blobHost?: BlobHost
  stop(): Promise<void>
}

/** Options for {@link startRegistry}. */
export interface StartRegistryOptions {
  variant?: RegistryVariant
  /** `http.relativeurls: true`: upload Locations become relative. */
  relativeUrls?: boolean
  /** Enables `middleware.storage: redirect` with this baseurl (blob GET/HEAD → 307). */
  redirectBaseUrl?: string
  /** Starts a blob host on 127.0.0.2 serving rootDir and redirects blob reads to it. */
  withBlobHost?: boolean
  /** Lifetime of issued tokens (token variant). */
  tokenTtlSeconds?: number
  /**
   * `storage.cache.blobdescriptor: inmemory`, as in the config Debian's docker-registry and the
   * upstream `registry` image ship: blob stats (every blob GET/HEAD, every manifest PUT's check of
   * its blobs) come from memory instead of the filesystem.
   */
  blobDescriptorCache?: boolean
  /**
   * Where the registry's directory (storage, config, log) goes; default the temp dir. A tmpfs
   * here takes the disk out of a benchmark: distribution fsyncs every file it writes.
   */
  parentDir?: string
}

/**
 * Debian's docker-registry; LADING_REGISTRY_BIN names another distribution build (say a v3 one
 * built by hand) to run the tests or benchmarks against, with the same config.
 */
const REGISTRY_BIN = process.env.LADING_REGISTRY_BIN || '/usr/bin/docker-registry'
const SETPRIV = '/usr/bin/setpriv'

/**
 * Starts a registry and resolves once `GET /v2/` answers (200 or 401). Rejects with
 * ERR_FIXTURE_REGISTRY_START (log tail included) if it exits or does not answer within 20 s.
 */
export async function startRegistry(opts: StartRegistryOptions = {}): Promise<RegistryFixture> {
  const variant = opts.variant ?? 'http'
  const dir = await mkdtemp(join(opts.parentDir ?? tmpdir(), 'lading-registry-'))
  trackDir(dir)
  const extras: Array<() => Promise<void>> = []
  try {
    return await startIn(dir, variant, opts, extras)
  } catch (e) {
    for (const x of extras) await x().catch(() => {})
    untrackDir(dir)
    await rm(dir, { recursive: true, force: true })
    throw e
  }
}

async function startIn(dir: string, variant: RegistryVariant, opts: StartRegistryOptions,
  extras: Array<() => Promise<void>>): Promise<RegistryFixture> {
  const rootDir = join(dir, 'storage')
  mkdirSync(rootDir)
  const logFile = join(dir, 'registry.log')
  const dockerConfigDir = join(dir, 'docker-config')
  mkdirSync(dockerConfigDir)
  const username = variant === 'http' ? undefined : 'lading'
  const password = variant === 'http' ? undefined : randomBytes(12).toString('hex')

  const config: Record<string, unknown> = {
    version: 0.1,
    log: { level: 'warn', formatter: 'text', accesslog: { disabled: true } },
    storage: {
      filesystem: { rootdirectory: rootDir },
      delete: { enabled: true },
      maintenance: { uploadpurging: { enabled: false } },
      ...(opts.blobDescriptorCache ? { cache: { blobdescriptor: 'inmemory' } } : {}),
    },
  }
  const http: Record<string, unknown> = { secret: randomBytes(16).toString('hex') }
  if (opts.relativeUrls) http.relativeurls = true
  let caFile: string | undefined
  let certDir: string | undefined
  if (variant === 'tls-basic') {
    const tls = await tlsMaterial()
    caFile = tls.caFile
    certDir = tls.certDir
    http.tls = { certificate: tls.certFile, key: tls.keyFile }
    const htpasswdFile = join(dir, 'htpasswd')
    writeFileSync(htpasswdFile, await runToolOk('htpasswd', ['-Bbn', username ?? '', password ?? '']))
    config.auth = { htpasswd: { realm: 'lading-registry', path: htpasswdFile } }
  }
  let tokenIssuer: TokenIssuer | undefined
  if (variant === 'token') {
    const issuer = await startTokenIssuer({ users: { [username ?? '']: password ?? '' }, ttlSeconds: opts.tokenTtlSeconds })
    tokenIssuer = issuer
    extras.push(() => issuer.stop())
    config.auth = {
      token: { realm: issuer.realm, service: issuer.service, issuer: issuer.issuer, rootcertbundle: issuer.certFile },
    }
  }
  let blobHost: BlobHost | undefined
  let redirectBaseUrl = opts.redirectBaseUrl
  if (opts.withBlobHost) {
    const bh = await startBlobHost(rootDir)
    blobHost = bh
    extras.push(() => bh.stop())
    redirectBaseUrl = bh.url
  }
  if (redirectBaseUrl) {
    config.middleware = { storage: [{ name: 'redirect', options: { baseurl: redirectBaseUrl } }] }
  }
  config.http = http

  const scheme = variant === 'tls-basic' ? 'https' : 'http'
  let child: ChildProcess | undefined
  let port = 0
  for (let attempt = 1; ; attempt++) {
    port = await freePort()
    http.addr = `127.0.0.1:${port}`
    // YAML is a superset of JSON, so JSON avoids any quoting questions.
    const configFile = join(dir, 'config.yml')
    writeFileSync(configFile, JSON.stringify(config, null, 2))
    writeFileSync(logFile, '')
    const started = spawnRegistry(configFile, logFile)
    const ok = await waitReady(started, `${scheme}://127.0.0.1:${port}/v2/`, caFile)
    if (ok) {
      child = started
      break
    }
    await killChild(started)
    const log = readFileSync(logFile, 'utf8')
    if (/address already in use/.test(log) && attempt < 5) continue
    throw new FixtureError('ERR_FIXTURE_REGISTRY_START',
      `docker-registry (${variant}) did not start on port ${port}: ${log.trim().split('\n').slice(-15).join('\n')}`)
  }

  const host = `127.0.0.1:${port}`
  const auths: Record<string, { auth: string }> = {}
  if (username !== undefined && password !== undefined) {
    auths[host] = { auth: Buffer.from(`${username}:${password}`).toString('base64') }
  }
  writeFileSync(join(dockerConfigDir, 'config.json'), JSON.stringify({ auths }, null, 2))

  const running = child
  let stopping: Promise<void> | undefined
  const fixture: RegistryFixture = {
    variant, host, url: `${scheme}://${host}`, rootDir, dockerConfigDir, logFile, pid: running.pid ?? 0,
    stop: () => {
      stopping ??= (async () => {
        await killChild(running)
        for (const x of extras) await x()
        await rm(dir, { recursive: true, force: true })
        untrackDir(dir)
      })()
      return stopping
    },
  }
  if (caFile) fixture.caFile = caFile
  if (certDir) fixture.certDir = certDir
  if (username !== undefined) fixture.username = username
  if (password !== undefined) fixture.password = password
  if (tokenIssuer) fixture.tokenIssuer = tokenIssuer
  if (blobHost) fixture.blobHost = blobHost
  return fixture
}

function spawnRegistry(configFile: string, logFile: string): ChildProcess {
  if (!existsSync(REGISTRY_BIN)) {
    throw new FixtureError('ERR_FIXTURE_TOOL_MISSING',
      `${REGISTRY_BIN} not found: run "bash registry-fixtures/ensure-tools.sh" (Debian package docker-registry)`)
  }
  const fd = openSync(logFile, 'a')
  try {
    // setpriv --pdeathsig: the kernel kills the registry if this process dies without cleanup.
    const [cmd, args] = existsSync(SETPRIV)
      ? [SETPRIV, ['--pdeathsig', 'KILL', '--', REGISTRY_BIN, 'serve', configFile]]
      : [REGISTRY_BIN, ['serve', configFile]]
    const child = spawn(cmd, args, { stdio: ['ignore', fd, fd] })
    trackChild(child)
    return child
  } finally {
    closeSync(fd)
  }
}

async function killChild(child: ChildProcess): Promise<void> {
  untrackChild(child)
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}

/** Polls `url` until it answers 200/401 (true) or the child exits / 20 s pass (false). */
async function waitReady(child: ChildProcess, url: string, caFile: string | undefined): Promise<boolean> {
  const ca = caFile ? readFileSync(caFile) : undefined
  const deadline = Date.now() + 20_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false
    const status = await probe(url, ca)
    if (status === 200 || status === 401) return true
    await new Promise((r) => setTimeout(r, 50))
  }
  return false
}

function probe(url: string, ca: Buffer | undefined): Promise<number> {
  return new Promise((resolve) => {
    const req = url.startsWith('https:')
      ? httpsRequest(url, { ca, agent: false }, (res) => { res.resume(); resolve(res.statusCode ?? 0) })
      : httpRequest(url, { agent: false }, (res) => { res.resume(); resolve(res.statusCode ?? 0) })
    // A socket that accepts but never answers must not hang the probe: every end resolves.
    req.on('error', () => resolve(0))
    req.on('close', () => resolve(0))
    req.setTimeout(2000, () => {
      resolve(0)
      req.destroy()
    })
    req.end()
  })
}
