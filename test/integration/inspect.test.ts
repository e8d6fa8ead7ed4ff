import t, { type Test } from 'tap'
import { join } from 'node:path'
import {
  SAMPLES, EXPECTED, BASE_IMAGE_LABELS, type RegistryFixture, type FaultProxy, type BaseImages,
} from '../../registry-fixtures/index.js'
import { runCli } from '../helpers/cli.js'
import { registryEnv } from '../helpers/registry-env.js'

let reg: RegistryFixture
let proxy: FaultProxy
let work: string
let base: BaseImages

t.before(async () => {
  ;({ work, reg, proxy, base } = await registryEnv(t, { name: 'it-inspect' }))
})

const build = async (image: string, runImage: string): Promise<void> => {
  const r = await runCli(['build', image, '--path', SAMPLES.apps.hello, '--buildpacks-dir', SAMPLES.buildpacksDir, '--run-image', runImage])
  if (r.code !== 0) throw new Error(`build ${image} failed (${r.code}): ${r.stderr}`)
}

/** pack's InfoDisplay (remote_info / local_info). */
interface Info {
  stack: string
  base_image: { top_layer: string; reference: string }
  run_images: { name: string }[] | null
  rebasable: boolean
  buildpacks: { id: string; version: string; homepage?: string }[] | null
  processes: { type: string; default: boolean; command: string; args: string[] | null; 'working-dir': string }[] | null
}

interface Inspected {
  image_name?: string
  remote_info?: Info | null
  local_info?: Info | null
  remote?: unknown
  local?: unknown
  cnb: boolean
  digest: string
  platform: string
  sbom?: { path: string; format: string; buildpack: string; content?: { bomFormat?: string; components?: { name: string }[] } }[]
}

async function inspectJson(ref: string, extra: string[] = []): Promise<Inspected> {
  const r = await runCli(['inspect', ref, '--json', ...extra])
  if (r.code !== 0) throw new Error(`inspect ${ref} failed (${r.code}): ${r.stderr}`)
  return JSON.parse(r.stdout) as Inspected
}

/** What every image built from the hello sample on run:v1 must show, in pack's schema. */
async function checkApp(t: Test, got: Inspected, where: 'remote_info' | 'local_info', runName: string | RegExp, runConfigRef: string): Promise<void> {
  const runCfg = JSON.parse((await runCli(['config', runConfigRef])).stdout)
  t.equal(got.cnb, true)
  t.equal(got[where === 'remote_info' ? 'local_info' : 'remote_info'], null, 'one of pack\'s two slots')
  const info = got[where]!
  t.equal(info.stack, BASE_IMAGE_LABELS.stackId, 'stack id inherited from the run image')
  t.equal(info.base_image.top_layer, runCfg.rootfs.diff_ids.at(-1), 'top layer is the run image\'s')
  t.match(info.base_image.reference, /@sha256:[0-9a-f]{64}$/)
  t.match(info.run_images?.[0]?.name, runName)
  t.same(info.buildpacks?.map((b) => b.id), EXPECTED.group)
  t.equal(info.buildpacks?.[0]?.homepage, 'https://example.test/lading-test/base')
  t.same(info.processes?.map((p) => p.type).sort(), EXPECTED.processes)
  t.equal(info.processes?.[0]?.type, EXPECTED.defaultProcess, 'the default first')
  t.same(info.processes?.filter((p) => p.default).map((p) => p.type), [EXPECTED.defaultProcess])
  const worker = info.processes?.find((p) => p.type === 'worker')
  t.same([worker?.command, worker?.args], ['sh', ['-c', 'echo worker $APP_MODE $GREETING']])
}

t.test('registry: an image lading built inspects like pack inspect', async (t) => {
  const image = `${reg.host}/app:1`
  await build(image, `${reg.host}/run:v1`)
  await checkApp(t, await inspectJson(image), 'remote_info', `${reg.host}/run:v1`, `${reg.host}/run:v1`)
  const text = await runCli(['inspect', image])
  t.equal(text.code, 0, text.stderr)
  t.match(text.stdout, /^Inspecting image: '.*'\n\nREMOTE:\n\nStack: .*\n\nBase Image:\n[^]*\n\nRun Images:\n[^]*\n\nRebasable: true\n\nBuildpacks:\n[^]*\n\nProcesses:\n[^]*\n\nLOCAL:\n\(not present\)\n/)
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
  const configDigest = JSON.parse((await runCli(['manifest', `${reg.host}/app:1`])).stdout).config.digest
  const blobGets = proxy.requests.slice(mark).filter((q) => q.method === 'GET' && /\/blobs\/sha256:/.test(q.path))
  // The config was just read by `lading config`, so lading's config cache usually answers for it.
  t.equal(blobGets.filter((q) => !q.path.endsWith(configDigest)).length, 1, 'the SBOM layer, and no other layer')
  t.ok(blobGets.length <= 2, 'at most the config besides')
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
  t.same([got.remote, got.local], [null, null])
  t.equal(got.digest.startsWith('sha256:'), true)
  t.equal((await inspectJson(`${reg.host}/run:v1`)).remote_info?.stack, BASE_IMAGE_LABELS.stackId)
  t.equal(runCfg.rootfs.diff_ids.length > 0, true)
  const text = await runCli(['inspect', `${reg.host}/run:v1`])
  t.equal(text.code, 0, text.stderr)
  t.match(text.stdout, /Not a Cloud Native Buildpacks image/)
  t.match(text.stdout, /^Layers: \d+ \(/m)
  t.match(text.stdout, /^Platform: linux\//m)
})

t.test('OCI layout: build into oci:DIR:TAG and inspect it there', async (t) => {
  const out = `oci:${join(work, 'layout-out')}:app`
  await build(out, base.runV1)
  await checkApp(t, await inspectJson(out), 'local_info', /^(?!oci:)/, base.runV1)
  const got = await inspectJson(out, ['--bom'])
  t.ok(got.sbom?.some((d) => d.format === 'cyclonedx' && d.content?.bomFormat === 'CycloneDX'))
})
