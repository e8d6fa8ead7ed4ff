import t from 'tap'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readBuilderToml, readPackageToml, resolveUri } from '../../lib/distribution/index.js'
import { tmp } from './helpers.js'

const SAMPLES = fileURLToPath(new URL('../fixtures/cnb-samples', import.meta.url))
let dir: string
t.before(async () => { dir = await tmp('lading-dist-config-') })
t.teardown(() => rm(dir, { recursive: true, force: true }))

t.test("the samples' builder.toml: local and docker:// buildpacks, order, build and run images", async (t) => {
  const b = await readBuilderToml(join(SAMPLES, 'builders/noble/builder.toml'))
  t.same(b.buildpacks.map((x) => x.uri), [
    join(SAMPLES, 'buildpacks/java-maven'), join(SAMPLES, 'buildpacks/kotlin-gradle'), join(SAMPLES, 'buildpacks/ruby-bundler'),
    'docker://cnbs/sample-package:hello-universe'])
  t.equal(b.buildImage, 'cnbs/sample-base-build:noble')
  t.same(b.runImages, [{ image: 'cnbs/sample-base-run:noble', mirrors: [] }])
  t.same(b.order[3], { group: [{ id: 'samples/hello-universe', version: '0.0.2' }] })
  t.same(b.ignored, ['targets'], 'reported, not acted on')
})

t.test('legacy [stack], [[build.env]], [lifecycle]; errors name the file and key', async (t) => {
  const f = join(dir, 'builder.toml')
  await writeFile(f, '[stack]\nid = "s"\nbuild-image = "b:1"\nrun-image = "r:1"\nrun-image-mirrors = ["m/r:1"]\n[[build.env]]\nname = "A"\nvalue = "1"\nsuffix = "append"\ndelim = ":"\n[lifecycle]\nuri = "lc.tgz"\n')
  const b = await readBuilderToml(f)
  t.equal(b.buildImage, 'b:1')
  t.same(b.runImages, [{ image: 'r:1', mirrors: ['m/r:1'] }])
  t.same(b.buildEnv, [{ name: 'A', value: '1', suffix: 'append', delim: ':' }])
  t.same(b.lifecycle, { uri: join(dir, 'lc.tgz') })
  t.equal(b.stackId, 's')
  await writeFile(f, '[build]\nimage = "b"\n')
  await t.rejects(readBuilderToml(f), { code: 'ERR_DISTRIBUTION_CONFIG_INVALID', message: /no run image/ })
  await writeFile(f, '[build]\nimage = "b"\n[[run.images]]\nimage = "r"\n[[build.env]]\nname = "A"\nvalue = "1"\nsuffix = "sideways"\n')
  await t.rejects(readBuilderToml(f), { message: /build\.env\[0\]\.suffix must be default, override, append or prepend/ })
})

t.test("package.toml: [buildpack] uri, [[dependencies]] by uri or image, [platform] os", async (t) => {
  const p = await readPackageToml(join(SAMPLES, 'buildpacks/hello-universe/package.toml'))
  t.same(p.buildpack, { uri: join(SAMPLES, 'buildpacks/hello-universe') })
  t.same(p.dependencies.map((d) => d.uri), [join(SAMPLES, 'buildpacks/hello-moon'), join(SAMPLES, 'buildpacks/hello-world')])
  t.equal(p.os, 'linux')
  const f = join(dir, 'package.toml')
  await writeFile(f, '[buildpack]\nuri = "bp.cnb"\n[[dependencies]]\nimage = "reg.example/x:1"\n[platform]\nos = "windows"\n')
  const q = await readPackageToml(f)
  t.same(q.dependencies, [{ uri: 'docker://reg.example/x:1' }])
  t.equal(q.os, 'windows')
  await writeFile(f, '[[dependencies]]\nuri = "x"\n')
  await t.rejects(readPackageToml(f), { message: /\[buildpack\] uri is required/ })
})

t.test('uris: references stay, paths resolve against the file', async (t) => {
  t.equal(resolveUri('docker://a/b', '/base'), 'docker://a/b')
  t.equal(resolveUri('registry.example.com/ns/bp:1', '/base'), 'registry.example.com/ns/bp:1')
  t.equal(resolveUri('localhost:5000/bp', '/base'), 'localhost:5000/bp')
  t.equal(resolveUri('buildpacks/node', '/base'), '/base/buildpacks/node')
  t.equal(resolveUri('../x', '/base/y'), '/base/x')
  t.equal(resolveUri('file:///abs/bp', '/base'), '/abs/bp')
  t.equal(resolveUri('pkg.cnb', '/base'), '/base/pkg.cnb')
})
