import t, { type Test } from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  startRegistry, startFaultProxy, makeBaseImages, pushBaseImages, SAMPLES, EXPECTED, BASE_IMAGE_LABELS,
  type RegistryFixture, type FaultProxy, type BaseImages,
} from '../../registry-fixtures/index.js'
import { runCli } from '../helpers/cli.js'

let reg: RegistryFixture
let proxy: FaultProxy
let work: string
let base: BaseImages

t.before(async () => {
  work = await mkdtemp(join(tmpdir(), 'lading-it-inspect-'))
  reg = await startRegistry({ variant: 'http' })
  proxy = await startFaultProxy(reg.url)
  base = await makeBaseImages(join(work, 'base'))
  await pushBaseImages(base.layout, reg.host)
})
t.teardown(async () => {
  await proxy?.stop()
  await reg?.stop()
  await rm(work, { recursive: true, force: true })
})

const build = async (image: string, runImage: string): Promise<void> => {
  const r = await runCli(['build', image, '--path', SAMPLES.apps.hello, '--buildpacks-dir', SAMPLES.buildpacksDir, '--run-image', runImage])
  if (r.code !== 0) throw new Error(`build ${image} failed (${r.code}): ${r.stderr}`)
}

interface Inspected {
  cnb: boolean
  stack: string
  base: { reference: string; topLayer: string }
  runImage: { image: string; mirrors: string[] }
  rebasable: boolean
  buildpacks: { id: string; version: string; homepage?: string }[]
  processes: { type: string; default: boolean; command: string[]; workingDir: string }[]
  image: { layers: number; os: string; labels: Record<string, string> }
  sbom?: { path: string; format: string; buildpack: string; content?: { bomFormat?: string; components?: { name: string }[] } }[]
}

async function inspectJson(ref: string, extra: string[] = []): Promise<Inspected> {
  const r = await runCli(['inspect', ref, '--json', ...extra])
  if (r.code !== 0) throw new Error(`inspect ${ref} failed (${r.code}): ${r.stderr}`)
  return JSON.parse(r.stdout) as Inspected
}

/** What every image built from the hello sample on run:v1 must show. */
async function checkApp(t: Test, got: Inspected, runRef: string, runConfigRef: string): Promise<void> {
  const runCfg = JSON.parse((await runCli(['config', runConfigRef])).stdout)
  t.equal(got.cnb, true)
  t.equal(got.stack, BASE_IMAGE_LABELS.stackId, 'stack id inherited from the run image')
  t.equal(got.base.topLayer, runCfg.rootfs.diff_ids.at(-1), 'top layer is the run image\'s')
  t.match(got.base.reference, /@sha256:[0-9a-f]{64}$/)
  t.equal(got.runImage.image, runRef)
  t.same(got.buildpacks.map((b) => b.id), EXPECTED.group)
  t.equal(got.buildpacks[0]?.homepage, 'https://example.test/lading-test/base')
  t.same(got.processes.map((p) => p.type).sort(), EXPECTED.processes)
  t.same(got.processes.filter((p) => p.default).map((p) => p.type), [EXPECTED.defaultProcess])
  t.same(got.processes.find((p) => p.type === 'worker')?.command, ['sh', '-c', 'echo worker $APP_MODE $GREETING'])
}

t.test('registry: an image lading built inspects like pack inspect', async (t) => {
  const image = `${reg.host}/app:1`
  await build(image, `${reg.host}/run:v1`)
  await checkApp(t, await inspectJson(image), `${reg.host}/run:v1`, `${reg.host}/run:v1`)
  const text = await runCli(['inspect', image])
  t.equal(text.code, 0, text.stderr)
  for (const s of ['Base Image:', 'Run Images:', 'Rebasable:', 'Buildpacks:', 'Processes:']) t.match(text.stdout, `\n${s}`)
  t.match(text.stdout, /\n {2}web \(default\) /)
  t.match(text.stdout, /\n {2}lading-test\/base +0\.0\.1 +https:\/\/example\.test\/lading-test\/base\n/)
})

t.test('registry --bom: the CycloneDX SBOMs of procs (buildpack) and deps (a layer), reading only the SBOM layer', async (t) => {
  const image = `${proxy.host}/app:1`
  const cfg = JSON.parse((await runCli(['config', `${reg.host}/app:1`])).stdout)
  const md = JSON.parse(cfg.config.Labels['io.buildpacks.lifecycle.metadata'])
  t.ok(md.sbom?.sha, 'the build wrote an SBOM layer')
  const mark = proxy.requests.length
  const got = await inspectJson(image, ['--bom'])
  const blobGets = proxy.requests.slice(mark).filter((q) => q.method === 'GET' && /\/blobs\/sha256:/.test(q.path))
  t.equal(blobGets.length, 2, 'the config and the SBOM layer, nothing else')
  const cdx = got.sbom?.find((d) => d.buildpack === 'lading-test_procs' && d.path.endsWith('/sbom.cdx.json'))
  t.ok(cdx, 'a CycloneDX document is listed')
  t.equal(cdx?.format, 'cyclonedx')
  t.equal(cdx?.buildpack, 'lading-test_procs')
  t.equal(cdx?.content?.bomFormat, 'CycloneDX')
  t.same(cdx?.content?.components?.map((c) => c.name), ['lading-test-procs'])
  const layerDoc = got.sbom?.find((d) => d.buildpack === 'lading-test_deps')
  t.equal(layerDoc?.path, '/layers/sbom/launch/lading-test_deps/launch-meta/sbom.cdx.json', 'a per-layer SBOM')
  t.same(layerDoc?.content?.components?.map((c) => c.name), ['launch-meta'])
  const text = await runCli(['inspect', image, '--bom'])
  t.match(text.stdout, /SBOM:\n {2}FORMAT .*\n(?: {2}.*\n)* {2}cyclonedx +lading-test_procs +- +1 /)
})

t.test('registry: the run image itself is a non-CNB image with a plain summary', async (t) => {
  const runCfg = JSON.parse((await runCli(['config', `${reg.host}/run:v1`])).stdout)
  const got = await inspectJson(`${reg.host}/run:v1`, ['--bom'])
  t.equal(got.cnb, false)
  t.equal(got.image.layers, runCfg.rootfs.diff_ids.length)
  t.equal(got.image.labels['io.buildpacks.stack.id'], BASE_IMAGE_LABELS.stackId)
  const text = await runCli(['inspect', `${reg.host}/run:v1`])
  t.equal(text.code, 0, text.stderr)
  t.match(text.stdout, /Not a Cloud Native Buildpacks image/)
  t.match(text.stdout, /^Layers: \d+ \(/m)
  t.match(text.stdout, /^Platform: linux\//m)
})

t.test('OCI layout: build into oci:DIR:TAG and inspect it there', async (t) => {
  const out = `oci:${join(work, 'layout-out')}:app`
  await build(out, base.runV1)
  const got = await inspectJson(out, ['--bom'])
  await checkApp(t, got, base.runV1, base.runV1)
  t.ok(got.sbom?.some((d) => d.format === 'cyclonedx' && d.content?.bomFormat === 'CycloneDX'))
})
