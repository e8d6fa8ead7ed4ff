/** node-engine: picks a Node.js version (BP_NODE_VERSION, engines.node, .nvmrc, .node-version, else the current LTS), resolves it against the npm registry's node-linux-<arch> package, and installs it as the `node` layer, verified, with an SBOM. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import semver from 'semver'
import { BuildpackError, freshLayer, readLayerMetadata, readPackageJson, toml, writeEnv, writeLayerToml, type BuildContext, type DetectContext } from './cnb.js'
import { download, extractTarball, onRegistry, packument, registryConfig } from './registry.js'

export const ID = 'lading/node-engine'

/** Files whose presence makes this a Node.js app. */
const MARKERS = ['package.json', '.nvmrc', '.node-version', 'server.js', 'app.js', 'index.js']

export function detect(ctx: DetectContext): number {
  if (!MARKERS.some((f) => existsSync(join(ctx.appDir, f)))) return 100
  const want = versionRequest(ctx.appDir, ctx.env)
  writeFileSync(ctx.planPath, toml({}, {
    provides: [{ name: 'node' }],
    requires: [{ name: 'node', metadata: { version: want.spec, 'version-source': want.source } }],
  }))
  return 0
}

export interface VersionRequest { spec: string; source: string }

/** Where the version comes from, in the issue's order. */
export function versionRequest(appDir: string, env: NodeJS.ProcessEnv): VersionRequest {
  if (env.BP_NODE_VERSION) return { spec: env.BP_NODE_VERSION.trim(), source: 'BP_NODE_VERSION' }
  const engines = readPackageJson(appDir)?.engines as Record<string, unknown> | undefined
  if (typeof engines?.node === 'string' && engines.node.trim()) return { spec: engines.node.trim(), source: 'package.json engines.node' }
  for (const f of ['.nvmrc', '.node-version']) {
    const p = join(appDir, f)
    if (existsSync(p)) {
      const v = readFileSync(p, 'utf8').split('\n').map((l) => l.replace(/#.*/, '').trim()).find(Boolean)
      if (v) return { spec: v, source: f }
    }
  }
  return { spec: 'lts/*', source: 'default (current LTS)' }
}

const LTS_CODENAMES: Record<string, number> = { argon: 4, boron: 6, carbon: 8, dubnium: 10, erbium: 12, fermium: 14, gallium: 16, hydrogen: 18, iron: 20, jod: 22, krypton: 24 }

/**
 * The current LTS major among `versions`: the newest even major whose LTS start (late October of
 * the year it was released, 2013 + major/2, per Node's release schedule) has passed on `now`.
 */
export function ltsMajor(versions: string[], now: Date): number | undefined {
  const majors = [...new Set(versions.map((v) => semver.major(v)))].filter((m) => m % 2 === 0 && m >= 4).sort((a, b) => b - a)
  return majors.find((m) => now >= new Date(Date.UTC(2013 + m / 2, 9, 29)))
}

/** The newest release matching `spec` (semver range, `v`-prefixed version, `lts/*`, `lts/<codename>`, `node`/`latest`). */
export function resolveVersion(spec: string, versions: string[], now: Date): string | undefined {
  const releases = versions.filter((v) => semver.valid(v) && !semver.prerelease(v))
  const s = spec.trim().toLowerCase()
  if (s === 'node' || s === 'latest' || s === 'current' || s === '*') return semver.maxSatisfying(releases, '*') ?? undefined
  if (s.startsWith('lts/') || s === 'lts') {
    const name = s.slice(4)
    const major = name === '*' || name === '' ? ltsMajor(releases, now) : LTS_CODENAMES[name]
    return major === undefined ? undefined : semver.maxSatisfying(releases, `${major}.x`) ?? undefined
  }
  const range = semver.validRange(s.replace(/^v(?=\d)/, ''))
  if (!range) throw new BuildpackError(`Node.js version ${JSON.stringify(spec)} is neither a version, a semver range nor lts/*`)
  return semver.maxSatisfying(releases, range) ?? undefined
}

/** Node's npm package name for the target architecture. */
export function nodePackage(env: NodeJS.ProcessEnv): string {
  const arch = env.CNB_TARGET_ARCH ?? ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch] ?? process.arch
  const npmArch = ({ amd64: 'x64', arm64: 'arm64' } as Record<string, string>)[arch]
  if (!npmArch) throw new BuildpackError(`no Node.js package for architecture ${arch} (supported: amd64, arm64)`)
  return `node-linux-${npmArch}`
}

/** The build-only layer holding Node's C/C++ headers (`include/node`), for native addons. */
export const HEADERS = 'node-headers'
/** What the launch layer keeps of the package: the rest (README, man pages, package.json) is dropped. */
const KEEP = new Set(['bin', 'LICENSE'])

/**
 * Moves `include/` from the unpacked package in `nodeDir` into `headersDir` and drops what a
 * running app never needs, so the launch layer holds the same files whether or not a package
 * ships headers (older or hand-made packages may not).
 */
export function splitHeaders(nodeDir: string, headersDir: string): void {
  for (const name of readdirSync(nodeDir)) {
    if (name === 'include') renameSync(join(nodeDir, name), join(headersDir, name))
    else if (!KEEP.has(name)) rmSync(join(nodeDir, name), { recursive: true, force: true })
  }
  for (const name of readdirSync(join(nodeDir, 'bin'))) {
    if (name !== 'node') rmSync(join(nodeDir, 'bin', name), { recursive: true, force: true })
  }
}

export async function build(ctx: BuildContext): Promise<void> {
  const want = versionRequest(ctx.appDir, ctx.env)
  const reg = registryConfig(ctx.appDir, ctx.env)
  const pkg = nodePackage(ctx.env)
  const doc = await packument(pkg, reg)
  const version = resolveVersion(want.spec, Object.keys(doc.versions ?? {}), new Date())
  if (!version) {
    const newest = semver.maxSatisfying(Object.keys(doc.versions ?? {}), '*')
    throw new BuildpackError(`no Node.js release matches ${JSON.stringify(want.spec)} (from ${want.source}); ${pkg} on ${reg.url} has releases up to ${newest ?? 'none'}`)
  }
  const meta = doc.versions[version]!
  const integrity = meta.dist.integrity ?? ''
  const url = onRegistry(meta.dist.tarball, reg)
  const license = meta.license ?? 'MIT'
  ctx.log(`Node.js ${version} (${want.spec} from ${want.source}), ${pkg} from ${reg.url}`)
  const types = { launch: true, build: true, cache: true }
  const metadata = { version, integrity, url, license }
  const old = readLayerMetadata(ctx.layersDir, 'node')
  const oldHeaders = readLayerMetadata(ctx.layersDir, HEADERS)
  const layer = join(ctx.layersDir, 'node')
  const headers = join(ctx.layersDir, HEADERS)
  const same = (m: Record<string, string>): boolean => m.version === version && m.integrity === integrity
  if (same(old) && existsSync(join(layer, 'bin', 'node')) && same(oldHeaders) && existsSync(headers)) {
    ctx.log(`reusing the node layer: Node.js ${version} is already installed`)
  } else {
    const dir = freshLayer(ctx.layersDir, 'node')
    const tmp = mkdtempSync(join(tmpdir(), 'node-engine-'))
    try {
      const tgz = join(tmp, 'node.tgz')
      ctx.log(`downloading ${url}`)
      await download(url, tgz, integrity, reg)
      extractTarball(tgz, dir)
    } finally {
      rmSync(tmp, { recursive: true, force: true })
    }
    splitHeaders(dir, freshLayer(ctx.layersDir, HEADERS))
    // Native addons (node-gyp, under npm, yarn or pnpm) build against these headers instead of
    // downloading them from nodejs.org, which mirror-only and offline builds cannot reach. A
    // package without headers (hand-made ones) leaves node-gyp to find its own.
    if (existsSync(join(headers, 'include', 'node'))) writeEnv(headers, 'env.build', 'npm_config_nodedir.override', headers)
    writeEnv(dir, 'env', 'NODE_HOME.override', dir)
    writeEnv(dir, 'env', 'NODE_ENV.default', 'production')
    ctx.log(`installed Node.js ${version} (integrity ${integrity.slice(0, 20)}…)`)
  }
  // Only the TOML is written on reuse: touching a restored layer's files would make it tarred again.
  writeLayerToml(ctx.layersDir, HEADERS, { launch: false, build: true, cache: true }, metadata)
  writeLayerToml(ctx.layersDir, 'node', types, metadata)
  writeFileSync(join(ctx.layersDir, 'node.sbom.cdx.json'), `${JSON.stringify(nodeSbom(version, url, integrity, license, pkg), null, 2)}\n`)
}

/** A CycloneDX 1.4 document for the installed Node.js. */
export function nodeSbom(version: string, url: string, integrity: string, license: string, pkg: string): unknown {
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.4',
    version: 1,
    components: [{
      type: 'application',
      name: 'node',
      version,
      purl: `pkg:npm/${pkg}@${version}?download_url=${encodeURIComponent(url)}`,
      licenses: [{ license: { id: license } }],
      hashes: [{ alg: 'SHA-512', content: Buffer.from(integrity.replace(/^sha512-/, ''), 'base64').toString('hex') }],
      externalReferences: [{ type: 'distribution', url }],
    }],
  }
}
