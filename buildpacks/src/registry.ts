/** The npm registry as the machine is configured for it (env, the app's .npmrc, the user's .npmrc, npm itself): packuments, verified tarball downloads, and registry-host rewriting for mirrors. No host is built in. */
import { execFileSync, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createWriteStream, existsSync, readFileSync, rmSync } from 'node:fs'
import { get as httpGet, type IncomingMessage } from 'node:http'
import { get as httpsGet } from 'node:https'
import { rootCertificates } from 'node:tls'
import { join } from 'node:path'
import { BuildpackError } from './cnb.js'

/** The registry URL, where it came from, a token for it, and extra CA certificates (PEM) npm is told to trust. */
export interface RegistryConfig { url: string; source: string; token?: string; ca?: string }

/** `registry=` and `//host/path/:_authToken=` of an .npmrc file (${VAR} expanded from env). */
function readNpmrc(file: string, env: NodeJS.ProcessEnv): { registry?: string; cafile?: string; tokens: Record<string, string> } {
  const tokens: Record<string, string> = {}
  let registry: string | undefined
  let cafile: string | undefined
  if (!existsSync(file)) return { tokens }
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue
    const i = line.indexOf('=')
    if (i < 0) continue
    const key = line.slice(0, i).trim()
    const value = line.slice(i + 1).trim().replace(/\$\{([^}]+)\}/g, (_, n: string) => env[n] ?? '')
    if (key === 'registry') registry = value
    else if (key === 'cafile') cafile = value
    else if (key.endsWith(':_authToken')) tokens[key.slice(0, -':_authToken'.length)] = value
  }
  return { registry, cafile, tokens }
}

/** Where packages come from: NPM_CONFIG_REGISTRY (any case), the app's .npmrc, $HOME/.npmrc, `npm config get registry`; else an error saying how to configure one. */
export function registryConfig(appDir: string, env: NodeJS.ProcessEnv): RegistryConfig {
  const app = readNpmrc(join(appDir, '.npmrc'), env)
  const user = env.HOME ? readNpmrc(join(env.HOME, '.npmrc'), env) : { tokens: {} as Record<string, string> }
  const fromEnv = env.NPM_CONFIG_REGISTRY ?? env.npm_config_registry
  let url: string | undefined
  let source = ''
  if (fromEnv) { url = fromEnv; source = 'NPM_CONFIG_REGISTRY' }
  else if (app.registry) { url = app.registry; source = 'the app\'s .npmrc' }
  else if (user.registry) { url = user.registry; source = '$HOME/.npmrc' }
  else {
    const npm = spawnSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8', env: { ...env } })
    if (npm.status === 0 && /^https?:\/\//.test(npm.stdout.trim())) { url = npm.stdout.trim(); source = 'npm config' }
  }
  if (!url) throw new BuildpackError('no npm registry is configured: set NPM_CONFIG_REGISTRY for the build (e.g. lading build --env NPM_CONFIG_REGISTRY=$(npm config get registry)) or registry= in the app\'s .npmrc')
  if (!/^https?:\/\//.test(url)) throw new BuildpackError(`npm registry ${JSON.stringify(url)} (from ${source}) is not an http(s) URL`)
  if (!url.endsWith('/')) url += '/'
  const tokens = { ...user.tokens, ...app.tokens }
  const nerf = url.replace(/^https?:/, '')
  const token = env.NPM_CONFIG__AUTHTOKEN ?? Object.entries(tokens).find(([k]) => nerf.startsWith(k.endsWith('/') ? k : `${k}/`))?.[1]
  // npm's own settings: `ca` (PEM text, e.g. NPM_CONFIG_CA from the platform env) or `cafile`.
  const cafile = env.NPM_CONFIG_CAFILE ?? env.npm_config_cafile ?? app.cafile ?? user.cafile
  let ca = env.NPM_CONFIG_CA ?? env.npm_config_ca
  if (!ca && cafile) {
    if (!existsSync(cafile)) throw new BuildpackError(`npm cafile ${cafile} does not exist`)
    ca = readFileSync(cafile, 'utf8')
  }
  return { url, source, ...(token ? { token } : {}), ...(ca ? { ca } : {}) }
}

/** `url` moved onto the configured registry when it names another host (mirror setups): origin and base path replaced, the package path kept. */
export function onRegistry(url: string, reg: RegistryConfig): string {
  const u = new URL(url)
  const r = new URL(reg.url)
  if (u.origin === r.origin && u.pathname.startsWith(r.pathname)) return url
  // Registry tarball paths are `<name>/-/<file>.tgz` (scoped: `@scope/name/-/...`) after the registry's base path.
  const m = /\/((?:@[^/]+\/)?[^/]+\/-\/[^/]+\.tgz)$/.exec(u.pathname)
  if (!m) return url
  return `${r.origin}${r.pathname}${m[1]}`
}

function request(url: string, reg: RegistryConfig, accept: string, redirects = 5): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { accept, 'user-agent': 'lading-nodejs-buildpacks' }
    if (reg.token && url.startsWith(reg.url)) headers.authorization = `Bearer ${reg.token}`
    const get = url.startsWith('https:') ? httpsGet : httpGet
    const tlsOpts = reg.ca && url.startsWith('https:') ? { ca: [...rootCertificates, reg.ca] } : {}
    const req = get(url, { headers, ...tlsOpts }, (res) => {
      const loc = res.headers.location
      if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && loc && redirects > 0) {
        res.resume()
        resolve(request(new URL(loc, url).toString(), reg, accept, redirects - 1))
      } else if (res.statusCode !== 200) {
        res.resume()
        reject(new BuildpackError(`GET ${url}: HTTP ${res.statusCode}`))
      } else resolve(res)
    })
    req.setTimeout(120_000, () => req.destroy(new Error('timed out')))
    req.on('error', (err) => reject(new BuildpackError(`GET ${url}: ${err.message} (does the build have the network? lading build --network none cuts it off)`)))
  })
}

export interface Packument {
  name: string
  'dist-tags'?: Record<string, string>
  versions: Record<string, { version: string; license?: string; dependencies?: Record<string, string>; peerDependencies?: Record<string, string>; dist: { tarball: string; integrity?: string; shasum?: string } }>
}

/** A package's metadata from the registry. */
export async function packument(name: string, reg: RegistryConfig): Promise<Packument> {
  const res = await request(`${reg.url}${name.replace('/', '%2f')}`, reg, 'application/json')
  const chunks: Buffer[] = []
  for await (const c of res) chunks.push(c as Buffer)
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Packument
}

/** Downloads `url` to `dest`, checking the SRI `integrity` (sha512) on the bytes as they arrive; a mismatch removes the file and throws. */
export async function download(url: string, dest: string, integrity: string, reg: RegistryConfig): Promise<void> {
  const m = /^sha512-([A-Za-z0-9+/=]+)$/.exec(integrity.split(/\s+/).find((s) => s.startsWith('sha512-')) ?? '')
  if (!m) throw new BuildpackError(`${url}: the registry gives no sha512 integrity (${JSON.stringify(integrity)}); refusing an unverified download`)
  const res = await request(url, reg, '*/*')
  const hash = createHash('sha512')
  const out = createWriteStream(dest)
  try {
    for await (const c of res) {
      hash.update(c as Buffer)
      if (!out.write(c)) await new Promise<void>((r) => out.once('drain', () => r()))
    }
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())))
  } catch (err) {
    out.destroy()
    rmSync(dest, { force: true })
    throw new BuildpackError(`download of ${url} failed: ${(err as Error).message}`)
  }
  const got = hash.digest('base64')
  if (got !== m[1]) {
    rmSync(dest, { force: true })
    throw new BuildpackError(`integrity check failed for ${url}: expected sha512-${m[1]}, got sha512-${got}; the download was discarded`)
  }
}

/** Extracts members of an npm tarball (`package/...`) into `dir`, dropping the `package/` prefix. */
export function extractTarball(file: string, dir: string, members: string[] = []): void {
  execFileSync('tar', ['-xzf', file, '-C', dir, '--strip-components=1', '--no-same-owner', ...members.map((m) => `package/${m}`)], { stdio: ['ignore', 'ignore', 'inherit'] })
}
