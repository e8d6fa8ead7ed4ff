// The Debian stack: refs for a prefix, the cache key, and reproducibility (two mmdebstrap runs of the same package set give the same run-image digest), with the labels, user and package manifest.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ensureRootfs, rootfsKey, stackImage, stackRefs } from '../../stacks/stack.js'

t.setTimeout(600_000)

t.test('refs for a registry prefix and an OCI layout', async (t) => {
  t.same(stackRefs('127.0.0.1:5000/lading/'), { run: '127.0.0.1:5000/lading/run:latest', build: '127.0.0.1:5000/lading/build:latest', builder: '127.0.0.1:5000/lading/builder:latest' })
  t.same(stackRefs('oci:/x'), { run: 'oci:/x:run', build: 'oci:/x:build', builder: 'oci:/x:builder' })
})

t.test('the cache key follows the recipe, not the time', async (t) => {
  t.equal(await rootfsKey('run'), await rootfsKey('run'))
  t.not(await rootfsKey('run'), await rootfsKey('build'))
  t.not(await rootfsKey('run'), await rootfsKey('run', { epoch: 1 }))
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
