/**
 * The lading stack: builds the Debian bookworm build and run images from stacks/rootfs.sh
 * (mmdebstrap), caches the root filesystems and their layers by package-set hash, and publishes
 * both images to a registry prefix or an OCI layout with lading's own deterministic layer code.
 */
import { createHash } from 'node:crypto'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { appendLayers, emptyImage, withConfig, type Image } from '../lib/image/index.js'
import { layerFromBlobFile, layerFromDirectory, layerFromEntries, type StoredLayer } from '../lib/layer/index.js'
import { hostPlatform } from '../lib/oci/index.js'
import { TransferLedger, pushImage, type LedgerTotals } from '../lib/remote/index.js'
import { openTarget, type StoreTarget } from './target.js'
import { ladingCacheDir } from '../lib/cli/env.js'

const run = promisify(execFile)
const HERE = dirname(fileURLToPath(import.meta.url))

/** A root filesystem recipe: stacks/<flavour>.packages (`lading` is lading's own image, stacks/lading-image.ts). */
export type Flavour = 'run' | 'build' | 'lading'
/** Debian architectures the stack is made for. */
export const ARCHES = ['amd64', 'arm64'] as const
export type Arch = typeof ARCHES[number]
export const STACK_ID = 'io.lading.stacks.bookworm'
export const CNB_UID = 1000
export const CNB_GID = 1000
/** Default SOURCE_DATE_EPOCH of the stack: bookworm's release day. */
export const DEFAULT_EPOCH = 1686355200
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

export interface StackOptions {
  /** Where root filesystems and layer blobs are kept (default ~/.cache/lading/stacks). */
  cacheDir?: string
  /** SOURCE_DATE_EPOCH (seconds); default DEFAULT_EPOCH. */
  epoch?: number
  mirror?: string
  /** Debian architecture (default: this machine's). A foreign minbase (build, lading) needs qemu-user-static. */
  arch?: Arch
  /** A "patch level" for the run image: adds a tiny layer naming it (the demo's patched OS). */
  runPatch?: string
  log?: (line: string) => void
}

/** Where the stack's images go for a PREFIX: `REG/path` → REG/path/{run,build,builder}:latest; `oci:DIR` → oci:DIR:{run,build,builder}. */
export function stackRefs(prefix: string): { run: string; build: string; builder: string } {
  if (prefix.startsWith('oci:')) return { run: `${prefix}:run`, build: `${prefix}:build`, builder: `${prefix}:builder` }
  const p = prefix.replace(/\/+$/, '')
  return { run: `${p}/run:latest`, build: `${p}/build:latest`, builder: `${p}/builder:latest` }
}

/** One flavour's root filesystem, as cached. */
export interface Rootfs { flavour: Flavour; dir: string; key: string; packages: string[]; arch: string }

async function hostArch(): Promise<string> {
  return (await run('dpkg', ['--print-architecture'])).stdout.trim()
}

async function debArch(o: StackOptions): Promise<string> {
  return o.arch ?? hostArch()
}

const QEMU: Record<string, string> = { amd64: 'x86_64', arm64: 'aarch64' }

/**
 * A foreign minbase (build, lading) runs maintainer scripts for `arch`, so mmdebstrap needs qemu
 * through binfmt_misc and arch-test; say so before it starts rather than after a download. The run
 * flavour only unpacks packages and needs neither.
 */
async function checkForeignArch(flavour: Flavour, arch: string): Promise<void> {
  if (flavour === 'run' || arch === await hostArch()) return
  if (existsSync(`/proc/sys/fs/binfmt_misc/qemu-${QEMU[arch] ?? arch}`)) return
  throw new Error(`the ${flavour} root filesystem for ${arch} runs Debian's maintainer scripts under emulation, and this machine (${await hostArch()}) has no qemu-${QEMU[arch] ?? arch} binfmt_misc handler: install qemu-user-static, binfmt-support and arch-test (binfmt_misc must be mounted), or build on an ${arch} machine; the run image needs none of them`)
}

/** The cache key of a flavour: the recipe, the package list, the suite, mirror, epoch and arch. */
export async function rootfsKey(flavour: Flavour, o: StackOptions = {}): Promise<string> {
  const h = createHash('sha256')
  h.update(await readFile(join(HERE, 'rootfs.sh')))
  h.update(await readFile(join(HERE, `${flavour}.packages`)))
  h.update(JSON.stringify([flavour, o.mirror ?? '', o.epoch ?? DEFAULT_EPOCH, await debArch(o)]))
  return h.digest('hex').slice(0, 16)
}

function cacheRoot(o: StackOptions): string {
  return o.cacheDir ?? join(ladingCacheDir(), 'stacks')
}

/** Builds (or finds in the cache) a flavour's root filesystem. Concurrent callers race safely: the loser's copy is dropped. */
export async function ensureRootfs(flavour: Flavour, o: StackOptions = {}): Promise<Rootfs> {
  const key = await rootfsKey(flavour, o)
  const dir = join(cacheRoot(o), `${flavour}-${key}`)
  if (!existsSync(join(dir, 'packages.txt'))) {
    await checkForeignArch(flavour, await debArch(o))
    await mkdir(cacheRoot(o), { recursive: true })
    const tmp = `${dir}.tmp-${process.pid}`
    o.log?.(`stack: building the ${flavour} root filesystem with mmdebstrap (cached as ${dir})`)
    const env = { ...process.env, SOURCE_DATE_EPOCH: String(o.epoch ?? DEFAULT_EPOCH), DEBIAN_ARCH: await debArch(o), ...(o.mirror ? { DEBIAN_MIRROR: o.mirror } : {}) }
    try {
      await run('bash', [join(HERE, 'rootfs.sh'), flavour, tmp], { env, maxBuffer: 64 << 20 })
      await rename(tmp, dir).catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err
      })
    } finally {
      await rm(tmp, { recursive: true, force: true })
    }
  }
  const packages = (await readFile(join(dir, 'packages.txt'), 'utf8')).split('\n').filter(Boolean)
  return { flavour, dir, key, packages, arch: await debArch(o) }
}

/**
 * The layer of directory `tree` placed at `target`, tarred once and then read back from its blob
 * (recorded in `meta`; blobs kept in `storeDir`).
 */
export async function cachedDirectoryLayer(tree: string, target: string, meta: string, storeDir: string, epoch: Date): Promise<StoredLayer> {
  if (existsSync(meta)) {
    const d = JSON.parse(await readFile(meta, 'utf8')) as { path: string; digest: string; diffId: string; size: number }
    if (existsSync(d.path)) return layerFromBlobFile(d.path, d as never)
  }
  const layer = await layerFromDirectory(tree, { target, mtime: epoch, storeDir })
  await writeFile(meta, JSON.stringify({ path: layer.path, digest: layer.digestValue, diffId: layer.diffIdValue, size: layer.sizeValue }))
  return layer
}

/** The rootfs layer of a flavour, tarred once and then read back from the cache. */
function rootfsLayer(r: Rootfs, epoch: Date): Promise<StoredLayer> {
  return cachedDirectoryLayer(join(r.dir, 'rootfs'), '/', join(r.dir, 'layer.json'), join(r.dir, 'blobs'), epoch)
}

/** The image of a flavour: rootfs layer, the CNB user's home layer (owned 1000:1000), config and labels. */
export async function stackImage(r: Rootfs, o: StackOptions = {}): Promise<Image> {
  const epoch = new Date((o.epoch ?? DEFAULT_EPOCH) * 1000)
  const created = epoch.toISOString().replace(/\.\d{3}Z$/, 'Z')
  const store = join(r.dir, 'blobs')
  const rootfs = await rootfsLayer(r, epoch)
  const home = await layerFromEntries([{ path: '/home/cnb', type: 'directory', mode: 0o755, uid: CNB_UID, gid: CNB_GID }], { mtime: epoch, storeDir: store })
  const adds = [
    { layer: rootfs, history: { created, created_by: `stacks/rootfs.sh ${r.flavour} (mmdebstrap bookworm)` } },
    { layer: home, history: { created, created_by: 'CNB user 1000:1000 home' } },
  ]
  if (r.flavour === 'run' && o.runPatch) {
    const patch = await layerFromEntries([{ path: '/usr/share/lading/patch-level', type: 'file', content: `${o.runPatch}\n` }], { mtime: epoch, storeDir: store })
    adds.push({ layer: patch, history: { created, created_by: `patch ${o.runPatch}` } })
  }
  const image = appendLayers(emptyImage(hostPlatform(r.arch)), ...adds)
  const labels: Record<string, string> = {
    'io.buildpacks.base.id': STACK_ID,
    'io.buildpacks.base.distro.name': 'debian',
    'io.buildpacks.base.distro.version': '12',
    'io.buildpacks.base.maintainer': 'lading',
    'io.buildpacks.base.description': `Debian bookworm ${r.flavour} image of the lading Node.js stack`,
    'io.buildpacks.base.released': created,
    'io.buildpacks.base.metadata': JSON.stringify({ suite: 'bookworm', packages: r.packages, ...(o.runPatch && r.flavour === 'run' ? { patch: o.runPatch } : {}) }),
    'io.buildpacks.stack.id': STACK_ID,
    'io.buildpacks.stack.mixins': '[]',
    'io.buildpacks.stack.distro.name': 'debian',
    'io.buildpacks.stack.distro.version': '12',
  }
  const env = [`PATH=${PATH}`]
  if (r.flavour === 'build') env.push(`CNB_USER_ID=${CNB_UID}`, `CNB_GROUP_ID=${CNB_GID}`, `CNB_STACK_ID=${STACK_ID}`)
  return withConfig(image, (c) => ({
    ...c,
    created,
    config: { User: `${CNB_UID}:${CNB_GID}`, Env: env, WorkingDir: '/', Labels: labels },
  }))
}

export interface PublishedStack {
  run: { ref: string; digest: string; packages: string[]; size: number }
  /** Absent only when `flavours` left it out. */
  build?: { ref: string; digest: string; packages: string[]; size: number }
  transfer: LedgerTotals
}

/** Builds both images (or only `flavours`; from the cache when it can) and publishes them under `prefix`. */
export async function publishStack(prefix: string, o: StackOptions & { insecureRegistries?: string[]; flavours?: Array<'run' | 'build'> } = {}): Promise<PublishedStack> {
  const refs = stackRefs(prefix)
  const ledger = new TransferLedger()
  const out: Partial<PublishedStack> = {}
  const targets: StoreTarget[] = []
  try {
    for (const flavour of o.flavours ?? ['run', 'build'] as const) {
      const r = await ensureRootfs(flavour, o)
      const image = await stackImage(r, o)
      const t = await openTarget(refs[flavour], o.insecureRegistries)
      targets.push(t)
      const desc = await pushImage(t.repo, image, t.tags, { onProgress: (ev) => ledger.record(ev) })
      const size = (await image.manifest()).layers.reduce((n, l) => n + l.size, 0)
      out[flavour] = { ref: refs[flavour], digest: desc.digest, packages: r.packages, size }
      o.log?.(`stack: ${refs[flavour]} ${desc.digest} (${(size / 1048576).toFixed(1)} MiB compressed, ${r.packages.length} packages)`)
    }
  } finally {
    for (const t of targets) await t.close()
  }
  return { ...(out as PublishedStack), transfer: ledger.totals }
}
