// The Debian stack: refs for a prefix, the cache key, reproducibility (two mmdebstrap runs of the same package set give the same run-image digest) with the labels, user and package manifest, and arm64 (the run image without emulation; the build image asks for qemu).
import { existsSync, mkdtempSync, openSync, readFileSync, readSync, closeSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ensureRootfs, rootfsKey, stackImage, stackRefs } from '../../stacks/stack.js'
import { hostPlatform } from '../../lib/oci/index.js'

t.setTimeout(600_000)

t.test('refs for a registry prefix and an OCI layout', async (t) => {
  t.same(stackRefs('127.0.0.1:5000/lading/'), { run: '127.0.0.1:5000/lading/run:latest', build: '127.0.0.1:5000/lading/build:latest', builder: '127.0.0.1:5000/lading/builder:latest' })
  t.same(stackRefs('oci:/x'), { run: 'oci:/x:run', build: 'oci:/x:build', builder: 'oci:/x:builder' })
})

t.test('the cache key follows the recipe, not the time', async (t) => {
  t.equal(await rootfsKey('run'), await rootfsKey('run'))
  t.not(await rootfsKey('run'), await rootfsKey('build'))
  t.not(await rootfsKey('run'), await rootfsKey('run', { epoch: 1 }))
  t.not(await rootfsKey('run', { arch: 'amd64' }), await rootfsKey('run', { arch: 'arm64' }))
  t.not(await rootfsKey('lading'), await rootfsKey('build'))
})

t.test('the same package set gives the same run image, twice from scratch', async (t) => {
  const digests: string[] = []
  for (let i = 0; i < 2; i++) {
    const cacheDir = mkdtempSync(join(tmpdir(), 'lading-stack-'))
    t.teardown(() => rmSync(cacheDir, { recursive: true, force: true }))
    const r = await ensureRootfs('run', { cacheDir })
    const image = await stackImage(r, { cacheDir })
    digests.push(await image.digest())
    if (i === 0) {
      const cfg = await image.config()
      t.equal(cfg.config?.User, '1000:1000')
      t.match(cfg.config?.Labels, { 'io.buildpacks.base.distro.name': 'debian', 'io.buildpacks.base.distro.version': '12', 'io.buildpacks.stack.id': 'io.lading.stacks.bookworm' })
      const pkgs = readFileSync(join(r.dir, 'packages.txt'), 'utf8')
      for (const p of ['libc6', 'libstdc++6', 'ca-certificates', 'tzdata', 'dash']) t.match(pkgs, new RegExp(`^${p.replace('+', '\\+')} \\S+ \\S+$`, 'm'), `${p} recorded with its version`)
      t.match(readFileSync(join(r.dir, 'rootfs/etc/passwd'), 'utf8'), /^cnb:x:1000:1000:/m)
      t.notOk(readFileSync(join(r.dir, 'rootfs/etc/ssl/certs/ca-certificates.crt'), 'utf8').length < 100000, 'CA bundle present')
    }
  }
  t.equal(digests[0], digests[1])
})

/** The ELF machine field of a binary: 62 x86-64, 183 AArch64. */
function elfMachine(file: string): number {
  const fd = openSync(file, 'r')
  const b = Buffer.alloc(20)
  readSync(fd, b, 0, 20, 0)
  closeSync(fd)
  return b.readUInt16LE(18)
}

t.test('arm64: the run image needs no emulation (packages are only unpacked) and is labelled arm64', async (t) => {
  const r = await ensureRootfs('run', { arch: 'arm64' })
  t.equal(r.arch, 'arm64')
  for (const line of r.packages) t.match(line, / (arm64|all)$/, `${line.split(' ')[0]} is an arm64 or arch-independent package`)
  t.ok(r.packages.some((l) => l.startsWith('libatomic1 ')), 'libatomic1 for Node.js 24+')
  t.equal(elfMachine(join(r.dir, 'rootfs/bin/dash')), 183, '/bin/sh is an AArch64 binary')
  const cfg = await (await stackImage(r)).config()
  t.same([cfg.os, cfg.architecture], ['linux', 'arm64'])
})

t.test('a foreign build image without qemu: a clear error before any download', async (t) => {
  const foreign = hostPlatform().architecture === 'arm64' ? 'amd64' : 'arm64'
  const qemu = foreign === 'arm64' ? 'aarch64' : 'x86_64'
  if (existsSync(`/proc/sys/fs/binfmt_misc/qemu-${qemu}`)) {
    t.pass(`qemu-${qemu} is registered here: the build image can be made`)
    return
  }
  const cacheDir = mkdtempSync(join(tmpdir(), 'lading-stack-'))
  t.teardown(() => rmSync(cacheDir, { recursive: true, force: true }))
  await t.rejects(ensureRootfs('build', { arch: foreign, cacheDir }), { message: /install qemu-user-static, binfmt-support and arch-test/ })
})
