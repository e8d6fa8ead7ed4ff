/**
 * Tiny CNB base images (run-v1, run-v2, build) made with umoci from the static busybox binary, so
 * tests never grade lading's image code with lading's own output. Generated on demand, not
 * committed as binaries.
 */
import { chmodSync, chownSync, copyFileSync, existsSync, lutimesSync, mkdirSync, readdirSync, rmdirSync, symlinkSync, utimesSync,
  writeFileSync } from 'node:fs'
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { trackDir } from './cleanup.js'
import { runToolOk } from './exec-tool.js'
import { FixtureError } from './fixture-error.js'

/** Where the base images are: an OCI layout plus `oci:<layout>:<tag>` references for each image. */
export interface BaseImages {
  /** OCI image layout directory holding tags `run-v1`, `run-v2`, `build`. */
  layout: string
  /** `oci:<layout>:run-v1` (usable as-is by skopeo, podman and {@link podmanRun}). */
  runV1: string
  runV2: string
  build: string
}

/** Label values the base images carry (tests compare against these). */
export const BASE_IMAGE_LABELS = {
  stackId: 'io.lading.test',
  distroName: 'busybox',
  buildBaseId: 'io.lading.test.build',
} as const

const BUSYBOX = '/bin/busybox'
const APPLETS = ['sh', 'cat', 'echo', 'ls', 'env', 'id']
const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
// Fixed timestamps (configs, history and every file mtime) keep the images identical across runs.
const CREATED = '2020-01-01T00:00:00Z'

/** GOARCH-style architecture of this host (amd64, arm64, ...). */
export function hostArchitecture(): string {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' }
  return map[process.arch] ?? process.arch
}

function rootlessArgs(): string[] {
  return process.getuid?.() === 0 ? [] : ['--rootless']
}

function writeBaseRootfs(dir: string): void {
  if (!existsSync(BUSYBOX)) {
    throw new FixtureError('ERR_FIXTURE_TOOL_MISSING', `${BUSYBOX} not found: install busybox-static (bash registry-fixtures/ensure-tools.sh)`)
  }
  for (const d of ['bin', 'etc', 'tmp', 'home/cnb', 'workspace']) mkdirSync(join(dir, d), { recursive: true })
  copyFileSync(BUSYBOX, join(dir, 'bin/busybox'))
  chmodSync(join(dir, 'bin/busybox'), 0o755)
  for (const a of APPLETS) symlinkSync('busybox', join(dir, 'bin', a))
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\ncnb:x:1000:1000:cnb:/home/cnb:/bin/sh\n')
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\ncnb:x:1000:\n')
  chmodSync(join(dir, 'tmp'), 0o1777)
  if (process.getuid?.() === 0) {
    chownSync(join(dir, 'home/cnb'), 1000, 1000)
    chownSync(join(dir, 'workspace'), 1000, 1000)
  }
}

function writeRunLayer(dir: string, version: 1 | 2): void {
  mkdirSync(join(dir, 'etc'), { recursive: true })
  writeFileSync(join(dir, 'etc/os-release'),
    `NAME="Lading Test"\nID=lading-test\nVERSION_ID=${version}\nPRETTY_NAME="Lading Test ${version}"\n`)
  writeFileSync(join(dir, 'run-image-version'), `v${version}\n`)
}

async function umoci(args: string[]): Promise<void> {
  await runToolOk('umoci', args)
}

/** Sets every entry under `dir` (itself included, symlinks not followed) to the fixed mtime. */
function pinTimes(dir: string): void {
  const t = new Date(CREATED)
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) pinTimes(p)
    else lutimesSync(p, t, t)
  }
  utimesSync(dir, t, t)
}

/**
 * Adds one layer to `<layout>:<from>`, saved as `<layout>:<to>`: unpack, let `write` change the
 * rootfs, repack. Not `umoci insert`: 0.4.7's insert leaves the layer tar without its end blocks
 * and the last file unpadded, which GNU tar and tar-stream reject. repack's diff holds only what
 * `write` changed, because every mtime is pinned to {@link CREATED} before and after.
 */
async function addLayer(layout: string, from: string, to: string, bundle: string, createdBy: string,
  write: (rootfs: string) => void): Promise<void> {
  await umoci(['unpack', ...rootlessArgs(), '--image', `${layout}:${from}`, bundle])
  const rootfs = join(bundle, 'rootfs')
  write(rootfs)
  pinTimes(rootfs)
  await umoci(['repack', ...rootlessArgs(), '--image', `${layout}:${to}`, '--history.created', CREATED,
    '--history.created_by', createdBy, bundle])
}

async function buildLayout(layout: string, work: string): Promise<void> {
  await umoci(['init', '--layout', layout])
  await umoci(['new', '--image', `${layout}:empty`])
  await addLayer(layout, 'empty', 'base', join(work, 'base'), 'lading fixtures: busybox rootfs', writeBaseRootfs)
  const common = ['--os', 'linux', '--architecture', hostArchitecture(), '--created', CREATED,
    '--history.created', CREATED, '--config.env', PATH_ENV,
    '--config.label', `io.buildpacks.stack.id=${BASE_IMAGE_LABELS.stackId}`,
    '--config.label', `io.buildpacks.base.distro.name=${BASE_IMAGE_LABELS.distroName}`]
  for (const v of [1, 2] as const) {
    const tag = `run-v${v}`
    await addLayer(layout, 'base', tag, join(work, tag), `lading fixtures: run image v${v}`, (dir) => writeRunLayer(dir, v))
    await umoci(['config', '--image', `${layout}:${tag}`, ...common, '--config.user', '1000:1000',
      '--config.label', `io.buildpacks.base.distro.version=${v}`, '--config.workingdir', '/workspace'])
  }
  await umoci(['config', '--image', `${layout}:base`, '--tag', 'build', ...common, '--config.user', '1000:1000',
    '--config.env', 'CNB_USER_ID=1000', '--config.env', 'CNB_GROUP_ID=1000',
    '--config.label', `io.buildpacks.base.id=${BASE_IMAGE_LABELS.buildBaseId}`, '--config.workingdir', '/workspace'])
  await umoci(['rm', '--image', `${layout}:empty`])
  await umoci(['rm', '--image', `${layout}:base`])
  await umoci(['gc', '--layout', layout])
}

let master: Promise<string> | undefined
const made = new Map<string, Promise<BaseImages>>()

async function masterLayout(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lading-base-images-'))
  trackDir(dir)
  const layout = join(dir, 'layout')
  const work = join(dir, 'work')
  mkdirSync(work)
  await buildLayout(layout, work)
  await rm(work, { recursive: true, force: true })
  return layout
}

/**
 * Writes an OCI image layout at `outDir` (must not exist, or be an empty directory) with tags
 * `run-v1`, `run-v2` and `build`. The images are built once per process with umoci and copied for
 * each new `outDir`; calling again with the same `outDir` returns the cached result. The caller
 * owns `outDir` and removes it.
 */
export function makeBaseImages(outDir: string): Promise<BaseImages> {
  const layout = resolve(outDir)
  let p = made.get(layout)
  if (!p) {
    p = (async () => {
      master ??= masterLayout()
      const src = await master
      if (existsSync(layout)) {
        if (readdirSync(layout).length > 0) {
          throw new FixtureError('ERR_FIXTURE_BASE_IMAGES', `makeBaseImages: ${layout} exists and is not empty`)
        }
        rmdirSync(layout)
      }
      await cp(src, layout, { recursive: true })
      return { layout, runV1: `oci:${layout}:run-v1`, runV2: `oci:${layout}:run-v2`, build: `oci:${layout}:build` }
    })()
    made.set(layout, p)
    p.catch(() => made.delete(layout))
  }
  return p
}

/** Options for {@link pushBaseImages}. */
export interface PushBaseImagesOptions {
  /** Verify the registry's TLS certificate (default false: loopback test registries). */
  tlsVerify?: boolean
  /** `user:password` for the destination. */
  creds?: string
  /** Directory with `ca.crt` for a TLS registry (RegistryFixture.certDir). */
  certDir?: string
}

/**
 * Copies the three base images with `skopeo copy` to `<registryHost>/run:v1`, `run:v2` and
 * `build:latest`, and returns those references.
 */
export async function pushBaseImages(layout: string, registryHost: string, opts: PushBaseImagesOptions = {}):
Promise<{ runV1: string; runV2: string; build: string }> {
  const refs = { runV1: `${registryHost}/run:v1`, runV2: `${registryHost}/run:v2`, build: `${registryHost}/build:latest` }
  const pairs: Array<[string, string]> = [['run-v1', refs.runV1], ['run-v2', refs.runV2], ['build', refs.build]]
  for (const [tag, dest] of pairs) {
    const args = ['copy', '--quiet', `--dest-tls-verify=${opts.tlsVerify ?? false}`]
    if (opts.creds) args.push('--dest-creds', opts.creds)
    if (opts.certDir) args.push('--dest-cert-dir', opts.certDir)
    args.push(`oci:${layout}:${tag}`, `docker://${dest}`)
    await runToolOk('skopeo', args)
  }
  return refs
}
