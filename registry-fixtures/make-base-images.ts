/**
 * The README quick start's first step, `npx tsx registry-fixtures/make-base-images.ts DIR`: makes
 * the sample base images (busybox run images run-v1/run-v2 and a build image) as an OCI layout at
 * DIR, with lading itself (no umoci: a fresh machine has only Node and npm), and makes sure what
 * the quick start needs is installed: busybox-static (the images' content) and bubblewrap (the
 * buildpack sandbox), with apt when run as root on Debian, as `npm test` does, else it prints the
 * apt-get line. Tests use makeBaseImages (umoci-built, so lading's image code is graded by an
 * independent tool).
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { appendLayers, emptyImage, withConfig, type Image } from '../lib/image/index.js'
import { layerFromDirectory } from '../lib/layer/index.js'
import { openLayout } from '../lib/layout/index.js'
import { pushImage } from '../lib/remote/index.js'
import { BASE_IMAGE_LABELS, hostArchitecture } from './base-images.js'

const BUSYBOX = '/bin/busybox'
const CREATED = '2020-01-01T00:00:00Z'
const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

function baseRootfs(dir: string): void {
  for (const d of ['bin', 'etc', 'tmp', 'home/cnb', 'workspace']) mkdirSync(join(dir, d), { recursive: true })
  copyFileSync(BUSYBOX, join(dir, 'bin/busybox'))
  chmodSync(join(dir, 'bin/busybox'), 0o755)
  for (const a of ['sh', 'cat', 'echo', 'ls', 'env', 'id']) symlinkSync('busybox', join(dir, 'bin', a))
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\ncnb:x:1000:1000:cnb:/home/cnb:/bin/sh\n')
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\ncnb:x:1000:\n')
  chmodSync(join(dir, 'tmp'), 0o1777)
}

/** Writes the three images with lading's own image code; same tags and labels as makeBaseImages. */
export async function makeBaseImagesWithLading(outDir: string): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'lading-quickstart-'))
  try {
    const storeDir = join(work, 'store')
    const layer = async (dir: string) => layerFromDirectory(dir, { target: '/', storeDir, mtime: new Date(CREATED) })
    baseRootfs(join(work, 'base'))
    const labels = { 'io.buildpacks.stack.id': BASE_IMAGE_LABELS.stackId, 'io.buildpacks.base.distro.name': BASE_IMAGE_LABELS.distroName }
    const base = appendLayers(emptyImage({ os: 'linux', architecture: hostArchitecture() }),
      { layer: await layer(join(work, 'base')), history: { created: CREATED, created_by: 'lading quick start: busybox rootfs' } })
    const configured = (img: Image, env: string[], extra: Record<string, string>): Image => withConfig(img, (c) => ({
      ...c, created: CREATED, config: { ...c.config, Env: [PATH_ENV, ...env], User: '1000:1000', WorkingDir: '/workspace', Labels: { ...labels, ...extra } },
    }))
    const layout = await openLayout(resolve(outDir), { create: true })
    for (const v of [1, 2] as const) {
      const dir = join(work, `run-v${v}`)
      mkdirSync(join(dir, 'etc'), { recursive: true })
      writeFileSync(join(dir, 'etc/os-release'), `NAME="Lading Test"\nID=lading-test\nVERSION_ID=${v}\nPRETTY_NAME="Lading Test ${v}"\n`)
      writeFileSync(join(dir, 'run-image-version'), `v${v}\n`)
      const run = appendLayers(base, { layer: await layer(dir), history: { created: CREATED, created_by: `lading quick start: run image v${v}` } })
      await pushImage(layout, configured(run, [], { 'io.buildpacks.base.distro.version': String(v) }), [`run-v${v}`])
    }
    await pushImage(layout, configured(base, ['CNB_USER_ID=1000', 'CNB_GROUP_ID=1000'], { 'io.buildpacks.base.id': BASE_IMAGE_LABELS.buildBaseId }), ['build'])
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

const dir = process.argv[2]
if (!dir) {
  process.stderr.write('usage: npx tsx registry-fixtures/make-base-images.ts DIR\n')
  process.exit(3)
}
const tools = spawnSync('bash', [join(dirname(fileURLToPath(import.meta.url)), 'ensure-tools.sh'), '--quickstart'], { stdio: 'inherit' })
if (tools.status !== 0) process.exit(1)
// Already made (a second run of the quick start): keep it.
const made = existsSync(join(dir, 'index.json')) ? Promise.resolve() : makeBaseImagesWithLading(dir)
made.then(
  () => process.stdout.write(`oci:${dir}:run-v1\noci:${dir}:run-v2\noci:${dir}:build\n`),
  (err) => {
    process.stderr.write(`${err.message ?? err}\n`)
    process.exit(1)
  },
)
