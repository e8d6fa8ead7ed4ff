/**
 * lading's own OCI image, made with lading's image code (`npm run image -- REF|oci:DIR[:TAG]`):
 * Debian bookworm minbase with git (stacks/lading.packages), Node.js from the npm registry's
 * node-linux-<arch> package (sha512-checked, fetched as the node-engine buildpack fetches it),
 * lading's bundle in /opt/lading, the CNB paths for `--no-sandbox` builds, and `lading` as the
 * entrypoint: `podman run IMAGE fleet plan /fleet.toml`.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs, promisify } from 'node:util'
import { appendLayers, withConfig, type Image } from '../lib/image/index.js'
import { layerFromEntries } from '../lib/layer/index.js'
import { TransferLedger, pushImage, type LedgerTotals } from '../lib/remote/index.js'
import { nodePackage, resolveVersion } from '../buildpacks/src/node-engine.js'
import { download, extractTarball, onRegistry, packument, registryConfig } from '../buildpacks/src/registry.js'
import { ARCHES, CNB_GID, CNB_UID, DEFAULT_EPOCH, cachedDirectoryLayer, ensureRootfs, stackImage, type Arch, type StackOptions } from './stack.js'
import { openTarget } from './target.js'
import { ladingCacheDir } from '../lib/cli/env.js'

const run = promisify(execFile)
const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = join(HERE, '..')
/** Where lading's files go in the image. */
export const LADING_DIR = '/opt/lading'
/** The Node.js the image gets unless told otherwise: the current LTS, as node-engine's default. */
export const DEFAULT_NODE = 'lts/*'
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

export interface LadingImageOptions extends StackOptions {
  /** Node.js version request (semver range, `lts/*`, ...); default DEFAULT_NODE. */
  node?: string
  /** Environment for the npm registry settings (NPM_CONFIG_REGISTRY, ~/.npmrc); default process.env. */
  env?: NodeJS.ProcessEnv
  insecureRegistries?: string[]
  /** Use dist/lading.cjs as it is instead of running `npm run build` first. */
  skipBundle?: boolean
}

export interface NodeRuntime { package: string; version: string; integrity: string; license: string; tree: string }

export interface MadeLadingImage {
  ref: string
  digest: string
  version: string
  node: Omit<NodeRuntime, 'tree'>
  packages: string[]
  /** Compressed size of all layers. */
  size: number
  transfer: LedgerTotals
}

function cacheRoot(o: StackOptions): string {
  return o.cacheDir ?? join(ladingCacheDir(), 'stacks')
}

/**
 * Node.js for the image: `spec` resolved against the registry's node-linux-<arch> versions,
 * downloaded once per version and integrity (checked while downloading) and kept as a tree for
 * /usr/local: bin/node and share/doc/node/LICENSE.
 */
export async function ensureNode(spec: string, arch: string, o: StackOptions & { env?: NodeJS.ProcessEnv } = {}): Promise<NodeRuntime> {
  const reg = registryConfig(ROOT, o.env ?? process.env)
  const pkg = nodePackage({ CNB_TARGET_ARCH: arch })
  const doc = await packument(pkg, reg)
  const version = resolveVersion(spec, Object.keys(doc.versions ?? {}), new Date())
  if (!version) throw new Error(`no Node.js release matches ${JSON.stringify(spec)} in ${pkg} on ${reg.url}`)
  const meta = doc.versions[version]!
  const integrity = meta.dist.integrity ?? ''
  const dir = join(cacheRoot(o), 'node', `${pkg}-${version}`)
  const known = await readFile(join(dir, 'integrity'), 'utf8').catch(() => '')
  if (known !== integrity || !existsSync(join(dir, 'tree', 'bin', 'node'))) {
    const tmp = `${dir}.tmp-${process.pid}`
    await rm(tmp, { recursive: true, force: true })
    await mkdir(join(tmp, 'tree', 'share', 'doc', 'node'), { recursive: true })
    try {
      const url = onRegistry(meta.dist.tarball, reg)
      o.log?.(`lading image: downloading Node.js ${version} (${spec}) from ${url}`)
      await download(url, join(tmp, 'node.tgz'), integrity, reg)
      extractTarball(join(tmp, 'node.tgz'), join(tmp, 'tree'), ['bin/node', 'LICENSE'])
      await rename(join(tmp, 'tree', 'LICENSE'), join(tmp, 'tree', 'share', 'doc', 'node', 'LICENSE'))
      await rm(join(tmp, 'node.tgz'))
      await writeFile(join(tmp, 'integrity'), integrity)
      await rm(dir, { recursive: true, force: true })
      await rename(tmp, dir)
    } finally {
      await rm(tmp, { recursive: true, force: true })
    }
  }
  return { package: pkg, version, integrity, license: meta.license ?? 'MIT', tree: join(dir, 'tree') }
}

/** `npm run build`: dist/lading.cjs from the sources, without a test runner's loader hooks. */
async function buildBundle(): Promise<void> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && !k.startsWith('TAP') && !k.startsWith('_TAPJS')))
  await run('npm', ['run', '--silent', 'build'], { cwd: ROOT, env, maxBuffer: 16 << 20 })
}

/** The image: the lading root filesystem and CNB home, Node.js, the CNB paths, lading itself; config and labels. */
export async function ladingImage(o: LadingImageOptions = {}): Promise<{ image: Image; node: NodeRuntime; version: string; packages: string[] }> {
  if (!o.skipBundle) await buildBundle()
  const r = await ensureRootfs('lading', o)
  const node = await ensureNode(o.node ?? DEFAULT_NODE, r.arch, o)
  const epoch = new Date((o.epoch ?? DEFAULT_EPOCH) * 1000)
  const created = epoch.toISOString().replace(/\.\d{3}Z$/, 'Z')
  const store = join(r.dir, 'blobs')
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; description: string; license: string; engines: unknown }
  const nodeLayer = await cachedDirectoryLayer(node.tree, '/usr/local', `${node.tree}.layer.json`, join(dirname(node.tree), 'blobs'), epoch)
  // The CNB paths, owned by the CNB user: `--no-sandbox` builds run the buildpacks right there
  // (and link each buildpack at /cnb/buildpacks/<id>/<version>).
  const cnbPaths = await layerFromEntries(['/workspace', '/layers', '/platform', '/platform/env', '/cnb', '/cnb/buildpacks'].map((path) => (
    { path, type: 'directory' as const, mode: 0o755, uid: CNB_UID, gid: CNB_GID })), { mtime: epoch, storeDir: store })
  const manifest = { name: pkg.name, version: pkg.version, description: pkg.description, license: pkg.license, engines: pkg.engines, bin: { lading: 'bin/lading' } }
  const lading = await layerFromEntries([
    { path: `${LADING_DIR}/package.json`, type: 'file', content: `${JSON.stringify(manifest, null, 2)}\n` },
    { path: `${LADING_DIR}/LICENSE`, type: 'file', content: await readFile(join(ROOT, 'LICENSE')) },
    { path: `${LADING_DIR}/bin/lading`, type: 'file', mode: 0o755, content: await readFile(join(ROOT, 'bin', 'lading')) },
    { path: `${LADING_DIR}/bin/package.json`, type: 'file', content: await readFile(join(ROOT, 'bin', 'package.json')) },
    { path: `${LADING_DIR}/dist/lading.cjs`, type: 'file', content: await readFile(join(ROOT, 'dist', 'lading.cjs')) },
    { path: '/usr/local/bin/lading', type: 'symlink', linkname: `${LADING_DIR}/bin/lading` },
  ], { mtime: epoch, storeDir: store })
  const base = await stackImage(r, o)
  const image = appendLayers(base,
    { layer: nodeLayer, history: { created, created_by: `Node.js ${node.version} (${node.package}, ${node.integrity.slice(0, 20)}…)` } },
    { layer: cnbPaths, history: { created, created_by: 'CNB paths /workspace /layers /platform /cnb/buildpacks (1000:1000) for --no-sandbox builds' } },
    { layer: lading, history: { created, created_by: `lading ${pkg.version} (dist/lading.cjs) in ${LADING_DIR}` } })
  const labels: Record<string, string> = {
    'org.opencontainers.image.title': 'lading',
    'org.opencontainers.image.description': pkg.description,
    'org.opencontainers.image.version': pkg.version,
    'org.opencontainers.image.licenses': pkg.license,
    'org.opencontainers.image.created': created,
    'io.buildpacks.base.distro.name': 'debian',
    'io.buildpacks.base.distro.version': '12',
    'io.lading.image.metadata': JSON.stringify({
      suite: 'bookworm', packages: r.packages,
      node: { package: node.package, version: node.version, integrity: node.integrity, license: node.license },
    }),
  }
  const final = withConfig(image, (c) => ({
    ...c,
    created,
    config: { User: `${CNB_UID}:${CNB_GID}`, Env: [`PATH=${PATH}`], Entrypoint: ['/usr/local/bin/lading'], Cmd: ['--help'], WorkingDir: '/home/cnb', Labels: labels },
  }))
  return { image: final, node, version: pkg.version, packages: r.packages }
}

/** Builds the image and publishes it to `ref` (a registry reference or `oci:DIR[:TAG]`). */
export async function makeLadingImage(ref: string, o: LadingImageOptions = {}): Promise<MadeLadingImage> {
  const { image, node, version, packages } = await ladingImage(o)
  const ledger = new TransferLedger()
  const t = await openTarget(ref, o.insecureRegistries)
  try {
    const desc = await pushImage(t.repo, image, t.tags, { onProgress: (ev) => ledger.record(ev) })
    const size = (await image.manifest()).layers.reduce((n, l) => n + l.size, 0)
    o.log?.(`lading image: ${ref} ${desc.digest} (${(size / 1048576).toFixed(1)} MiB compressed, Node.js ${node.version}, ${packages.length} Debian packages)`)
    const { tree: _tree, ...nodeInfo } = node
    return { ref, digest: desc.digest, version, node: nodeInfo, packages, size, transfer: ledger.totals }
  } finally {
    await t.close()
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: {
    node: { type: 'string' }, arch: { type: 'string' }, json: { type: 'boolean' }, 'insecure-registry': { type: 'string', multiple: true },
  } })
  const arch = values.arch as Arch | undefined
  if (positionals.length !== 1 || (arch && !ARCHES.includes(arch))) {
    process.stderr.write(`usage: npm run image -- REF|oci:DIR[:TAG] [--node SPEC (default ${DEFAULT_NODE})] [--arch ${ARCHES.join('|')}] [--insecure-registry HOST] [--json]\n`)
    process.exit(3)
  }
  const res = await makeLadingImage(positionals[0]!, {
    ...(values.node ? { node: values.node } : {}), ...(arch ? { arch } : {}),
    ...(process.env.SOURCE_DATE_EPOCH ? { epoch: Number(process.env.SOURCE_DATE_EPOCH) } : {}),
    ...(process.env.DEBIAN_MIRROR ? { mirror: process.env.DEBIAN_MIRROR } : {}),
    insecureRegistries: values['insecure-registry'] ?? [],
    log: (l) => process.stderr.write(`${l}\n`),
  }).catch((err: Error & { stderr?: string }) => {
    process.stderr.write(`npm run image: ${err.message}${err.stderr ? `\n${err.stderr}` : ''}\n`)
    process.exit(1)
  })
  process.stdout.write(values.json ? `${JSON.stringify(res, null, 2)}\n` : `${res.ref} ${res.digest}\n`)
}
