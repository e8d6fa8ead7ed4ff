import t from 'tap'
import { copyFile, cp, mkdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { podmanRun, skopeoInspect, runToolOk, type RegistryFixture, type BaseImages } from '../../registry-fixtures/index.js'
import { runCli } from '../helpers/cli.js'
import { registryEnv } from '../helpers/registry-env.js'

// The CNB project's samples (test/fixtures/cnb-samples/ORIGIN.md), used unchanged: only their base
// image names are pointed at the test registry.
const SAMPLES = fileURLToPath(new URL('../fixtures/cnb-samples', import.meta.url))

let reg: RegistryFixture
let work: string
let samples: string
let app: string

/** The busybox build image plus bash (the samples are bash scripts) and the applets they call. */
async function bashBuildImage(layout: string): Promise<void> {
  const bundle = join(work, 'bash-bundle')
  await runToolOk('umoci', ['unpack', ...(process.getuid?.() === 0 ? [] : ['--rootless']), '--image', `${layout}:build`, bundle])
  const rootfs = join(bundle, 'rootfs')
  const libs = (await runToolOk('ldd', ['/bin/bash'])).split('\n').map((l) => /(\/\S+) \(0x/.exec(l)?.[1]).filter((x): x is string => Boolean(x))
  for (const f of ['/bin/bash', ...libs]) {
    await mkdir(join(rootfs, dirname(f)), { recursive: true })
    await copyFile(f, join(rootfs, f))
  }
  await mkdir(join(rootfs, 'usr/bin'), { recursive: true })
  await symlink('/bin/busybox', join(rootfs, 'usr/bin/env'))
  for (const a of ['sed', 'basename', 'mkdir']) await symlink('busybox', join(rootfs, 'bin', a))
  await runToolOk('umoci', ['repack', '--refresh-bundle', '--image', `${layout}:bash-build`, bundle])
}

t.before(async () => {
  let base: BaseImages
  ;({ work, reg, base } = await registryEnv(t, { name: 'it-samples', home: true }))
  await bashBuildImage(base.layout)
  const copy = (from: string, to: string) => runToolOk('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${base.layout}:${from}`, `docker://${reg.host}/${to}`])
  await copy('bash-build', 'cnbs/sample-base-build:noble')
  await copy('run-v1', 'cnbs/sample-base-run:noble')
  samples = join(work, 'samples')
  await cp(SAMPLES, samples, { recursive: true })
  const builderToml = join(samples, 'builders/noble/builder.toml')
  await writeFile(builderToml, (await readFile(builderToml, 'utf8')).replaceAll('cnbs/', `${reg.host}/cnbs/`))
  app = join(work, 'app')
  await mkdir(app)
  await writeFile(join(app, 'README'), 'an app\n')
})

const pkg = (out: string, config: string, extra: string[] = []) => runCli(['buildpack', 'package', out, '--config', config, '--json', ...extra])

t.test('package.toml with dependencies: pushed, read back by skopeo; same inputs, same digest; .cnb is an OCI archive', async (t) => {
  const config = join(samples, 'buildpacks/hello-universe/package.toml')
  const a = await pkg(`${reg.host}/cnbs/sample-package:hello-universe`, config)
  t.equal(a.code, 0, a.stderr)
  const b = await pkg(`${reg.host}/cnbs/sample-package:again`, config)
  t.equal(JSON.parse(a.stdout).digest, JSON.parse(b.stdout).digest)
  const cfg = await skopeoInspect(`docker://${reg.host}/cnbs/sample-package:hello-universe`, { config: true, tlsVerify: false }) as { config: { Labels: Record<string, string> }; rootfs: { diff_ids: string[] } }
  t.same(JSON.parse(cfg.config.Labels['io.buildpacks.buildpackage.metadata']!), { id: 'samples/hello-universe', version: '0.0.2', homepage: 'https://github.com/buildpacks/samples/tree/main/buildpacks/hello-universe', stacks: [] })
  const layers = JSON.parse(cfg.config.Labels['io.buildpacks.buildpack.layers']!)
  t.same(Object.keys(layers), ['samples/hello-moon', 'samples/hello-universe', 'samples/hello-world'])
  t.equal(cfg.rootfs.diff_ids.length, 3, 'one layer per buildpack')
  t.same(layers['samples/hello-universe']['0.0.2'].order, [{ group: [{ id: 'samples/hello-world', version: '0.0.2' }, { id: 'samples/hello-moon', version: '0.0.2' }] }])
  const file = join(work, 'universe.cnb')
  const c = await pkg(file, config)
  t.equal(c.code, 0, c.stderr)
  t.equal(JSON.parse(c.stdout).digest, JSON.parse(a.stdout).digest, '.cnb holds the same image')
  const viaSkopeo = await skopeoInspect(`oci-archive:${file}`, { config: true }) as { rootfs: { diff_ids: string[] } }
  t.same(viaSkopeo.rootfs.diff_ids, cfg.rootfs.diff_ids)
  const again = join(work, 'universe2.cnb')
  await pkg(again, config)
  t.same(await readFile(again), await readFile(file), 'the same .cnb bytes')
  const inspect = await runCli(['buildpack', 'inspect', file])
  t.equal(inspect.code, 0, inspect.stderr)
  t.match(inspect.stdout, /Detection Order:\n └ Group #1:\n    └ samples\/hello-universe@0\.0\.2\n       └ Group #1:\n          ├ samples\/hello-world@0\.0\.2\n          └ samples\/hello-moon@0\.0\.2/)
})

t.test('a dependency already in the target registry is mounted, not uploaded', async (t) => {
  const hw = await pkg(`${reg.host}/cnbs/sample-package:hello-world`, join(samples, 'buildpacks/hello-world/package.toml'))
  t.equal(hw.code, 0, hw.stderr)
  const alt = join(samples, 'buildpacks/hello-universe/package-image.toml')
  await writeFile(alt, `[buildpack]\nuri = "."\n\n[[dependencies]]\nuri = "../hello-moon"\n\n[[dependencies]]\nuri = "docker://${reg.host}/cnbs/sample-package:hello-world"\n`)
  const r = await pkg(`${reg.host}/elsewhere/universe:1`, alt)
  t.equal(r.code, 0, r.stderr)
  const tr = JSON.parse(r.stdout).transfer
  t.equal(tr.blobsMounted, 1, 'hello-world layer mounted from its package')
  t.equal(tr.blobsUploaded, 3, 'hello-moon, hello-universe and the config')
})

t.test('builder.toml with local and docker:// buildpacks: created, inspected, built with; podman runs the app', async (t) => {
  const r = await runCli(['builder', 'create', `${reg.host}/cnbs/sample-builder:noble`, '--config', join(samples, 'builders/noble/builder.toml'), '--json'])
  t.equal(r.code, 0, r.stderr)
  const human = await runCli(['builder', 'inspect', `${reg.host}/cnbs/sample-builder:noble`])
  t.equal(human.code, 0, human.stderr)
  t.match(human.stdout, /Run Images:\n  [^\n]+\/cnbs\/sample-base-run:noble\n/)
  t.match(human.stdout, /Lifecycle:\n  Version: \(none\)/)
  t.match(human.stdout, /Warning: this builder has no lifecycle binaries.*\[lifecycle\] uri/)
  t.match(human.stdout, /  samples\/hello-universe\s+Hello Universe Buildpack\s+0\.0\.2\s+https:\/\/github.com/)
  t.match(human.stdout, / └ Group #4:\n    └ samples\/hello-universe@0\.0\.2\n       └ Group #1:\n          ├ samples\/hello-world@0\.0\.2\n          └ samples\/hello-moon@0\.0\.2/)
  const json = JSON.parse((await runCli(['builder', 'inspect', `${reg.host}/cnbs/sample-builder:noble`, '--output', 'json'])).stdout)
  t.equal(json.remote_info.lifecycle.version, null)
  t.same(json.remote_info.run_images, [{ name: `${reg.host}/cnbs/sample-base-run:noble` }])
  t.same(json.remote_info.detection_order[0], { buildpacks: [{ id: 'samples/java-maven', version: '0.0.3' }] })
  t.same(json.remote_info.detection_order[3], { buildpacks: [{ id: 'samples/hello-universe', version: '0.0.2', buildpacks: [{ id: 'samples/hello-world', version: '0.0.2' }, { id: 'samples/hello-moon', version: '0.0.2' }] }] })
  const yaml = await runCli(['builder', 'inspect', `${reg.host}/cnbs/sample-builder:noble`, '--output', 'yaml'])
  t.match(yaml.stdout, /builder_name: /)
  const toml = await runCli(['builder', 'inspect', `${reg.host}/cnbs/sample-builder:noble`, '--output', 'toml'])
  t.match(toml.stdout, /builder_name = /)
  const b = await runCli(['build', `${reg.host}/sample-app:1`, '--path', app, '--builder', `${reg.host}/cnbs/sample-builder:noble`, '--json'])
  t.equal(b.code, 0, b.stderr)
  t.same(JSON.parse(b.stdout).group.map((g: { id: string }) => g.id), ['samples/hello-world', 'samples/hello-moon'])
  t.match(b.stderr, '---> Hello World buildpack')
  t.match(b.stderr, '---> Hello Moon buildpack')
  const run = await podmanRun(`${reg.host}/sample-app:1`, { entrypoint: '/bin/cat', args: ['/workspace/README'] })
  t.equal(run.stdout, 'an app\n', run.stderr)
})

t.test('--buildpack takes a buildpackage: docker://REF, a plain reference, a .cnb file', async (t) => {
  for (const spec of [`docker://${reg.host}/cnbs/sample-package:hello-universe`, `${reg.host}/cnbs/sample-package:hello-universe`, join(work, 'universe.cnb')]) {
    const b = await runCli(['build', `${reg.host}/bp-app:1`, '--path', app, '--buildpack', spec, '--run-image', `${reg.host}/run:v1`, '--json'])
    t.equal(b.code, 0, b.stderr)
    t.same(JSON.parse(b.stdout).group.map((g: { id: string }) => g.id), ['samples/hello-world', 'samples/hello-moon'], spec)
  }
  const viaUrn = await runCli(['build', `${reg.host}/bp-app:2`, '--path', app, '--builder', `${reg.host}/cnbs/sample-builder:noble`, '--buildpack', 'urn:cnb:builder:samples/hello-world', '--json'])
  t.equal(viaUrn.code, 0, viaUrn.stderr)
  t.same(JSON.parse(viaUrn.stdout).group.map((g: { id: string }) => g.id), ['samples/hello-world'])
})

t.test('bad buildpackages: a clear error naming the thing, an exit code from the table, nothing pushed', async (t) => {
  const notBp = join(work, 'not-bp.toml')
  await mkdir(join(work, 'empty-dir'))
  await writeFile(notBp, '[buildpack]\nuri = "empty-dir"\n')
  const r = await pkg(`${reg.host}/bad/pkg:1`, notBp)
  t.equal(r.code, 4)
  t.match(r.stderr, /empty-dir is not a buildpack: it has no buildpack\.toml/)
  const junk = join(work, 'junk.cnb')
  await writeFile(junk, 'this is not a tar')
  const j = await runCli(['build', `${reg.host}/bad/app:1`, '--path', app, '--buildpack', junk, '--run-image', `${reg.host}/run:v1`])
  t.equal(j.code, 4)
  t.match(j.stderr, /junk\.cnb: not a \.cnb file \(an uncompressed tar of an OCI image layout\)/)
  const notPkg = await runCli(['build', `${reg.host}/bad/app:1`, '--path', app, '--buildpack', `docker://${reg.host}/run:v1`, '--run-image', `${reg.host}/run:v1`])
  t.equal(notPkg.code, 4)
  t.match(notPkg.stderr, /run:v1: not a buildpackage/)
  t.notMatch((await runCli(['tags', `${reg.host}/bad/pkg`])).stdout, /1/)
  t.notMatch((await runCli(['tags', `${reg.host}/bad/app`])).stdout, /1/)
})
