import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import tarStream from 'tar-stream'
import { sha256 } from '../../../lib/digest/index.js'
import { imageFromParts, layerFromBytes, type Image } from '../../../lib/image/index.js'
import { openLayout } from '../../../lib/layout/index.js'
import { MediaTypes } from '../../../lib/oci/index.js'
import { encodeBuildMetadata, encodeLifecycleMetadata } from '../../../lib/platform/index.js'
import { renderInspect, table } from '../../../lib/cli/commands/inspect.js'
import { runCli } from '../../helpers/cli.js'
import { storeImage } from '../../helpers/store-image.js'

let dir: string
const sha = (s: string): string => sha256(Buffer.from(s))

async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const pack = tarStream.pack()
  for (const [name, content] of Object.entries(files)) pack.entry({ name, type: 'file' }, content)
  pack.finalize()
  const chunks: Buffer[] = []
  for await (const c of pack) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

async function appImage(arch = 'amd64'): Promise<Image> {
  const sbom = layerFromBytes(await tarOf({ 'layers/sbom/launch/acme_node/sbom.cdx.json': '{"bomFormat":"CycloneDX","components":[{"name":"a"},{"name":"b"}]}' }))
  const lm = encodeLifecycleMetadata({
    app: [], buildpacks: [], sbom: { sha: await sbom.diffId() },
    runImage: { topLayer: sha('top'), reference: `reg.test/run@${sha('ref')}`, image: 'reg.test/run:v1', mirrors: ['mirror.test/run:v1'] },
  })
  const bm = encodeBuildMetadata({
    buildpacks: [{ id: 'acme/node', version: '2.1.0', homepage: 'https://example.test/node' }, { id: 'acme/procfile', version: '0.3.0' }],
    launcher: { version: '0.1.0', source: { git: { repository: '', commit: '' } } },
    processes: [
      { type: 'web', command: ['node', 'server.js'], args: ['--port', '8080'], direct: true, buildpackID: 'acme/node' },
      { type: 'worker', command: ['node'], args: ['worker.js'], direct: true, buildpackID: 'acme/node', workingDir: '/workspace/w' },
    ],
  })
  return imageFromParts({
    platform: { os: 'linux', architecture: arch },
    config: { Entrypoint: ['/cnb/process/web'], WorkingDir: '/workspace', Labels: { 'io.buildpacks.lifecycle.metadata': lm, 'io.buildpacks.build.metadata': bm, 'io.buildpacks.base.id': 'io.test.base' } },
    layers: [layerFromBytes(await tarOf({ 'bin/sh': 'x' })), sbom],
  })
}

t.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lading-cli-inspect-'))
  const repo = await openLayout(dir, { create: true })
  await storeImage(repo, await appImage(), ['app'])
  await storeImage(repo, imageFromParts({ config: { Cmd: ['sh'], Env: ['PATH=/bin'], Labels: { a: 'b' } }, layers: [layerFromBytes(await tarOf({ x: 'y' }))] }), ['plain'])
  // A two-platform index: amd64 and arm64 app images.
  const descs = []
  for (const arch of ['amd64', 'arm64']) {
    const img = await appImage(arch)
    descs.push({ ...(await storeImage(repo, img, [])), platform: { os: 'linux', architecture: arch } })
  }
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.OCI_INDEX, manifests: descs }))
  await repo.manifests.put('multi', index, MediaTypes.OCI_INDEX)
})
t.teardown(() => rm(dir, { recursive: true, force: true }))

t.test('text output has pack\'s sections and tables', async (t) => {
  const r = await runCli(['inspect', `oci:${dir}:app`])
  t.equal(r.code, 0, r.stderr)
  const lines = r.stdout.split('\n')
  t.equal(lines[0], `Inspecting image: 'oci:${dir}:app'`)
  t.match(r.stdout, /^Stack: io\.test\.base$/m)
  t.match(r.stdout, `Base Image:\n  Reference: reg.test/run@${sha('ref')}\n  Top Layer: ${sha('top')}\n`)
  t.match(r.stdout, 'Run Images:\n  reg.test/run:v1\n  mirror.test/run:v1\n')
  t.match(r.stdout, 'Rebasable: true\n')
  t.match(r.stdout, /Buildpacks:\n {2}ID {15}VERSION {4}HOMEPAGE\n {2}acme\/node {8}2\.1\.0 {6}https:\/\/example\.test\/node\n {2}acme\/procfile {4}0\.3\.0 {6}-\n/)
  t.match(r.stdout, /Processes:\n {2}TYPE +SHELL +COMMAND +ARGS +WORK DIR\n {2}web \(default\) +node +server\.js --port 8080 +\/workspace\n {2}worker +node +worker\.js +\/workspace\/w\n/)
  t.notMatch(r.stdout, /SBOM/, 'no SBOM without --bom')
  t.equal(r.stderr, '')
})

t.test('--bom lists the SBOM documents; --json carries their parsed content', async (t) => {
  const r = await runCli(['inspect', `oci:${dir}:app`, '--bom'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /SBOM:\n {2}FORMAT +BUILDPACK +LAYER +ENTRIES +SIZE +PATH\n {2}cyclonedx +acme_node +- +2 +\d+ B +\/layers\/sbom\/launch\/acme_node\/sbom\.cdx\.json\n/)
  const j = await runCli(['inspect', `oci:${dir}:app`, '--bom', '--json'])
  t.equal(j.code, 0, j.stderr)
  const out = JSON.parse(j.stdout)
  t.equal(out.reference, `oci:${dir}:app`)
  t.equal(out.cnb, true)
  t.same(out.processes.map((p: { type: string; default: boolean }) => [p.type, p.default]), [['web', true], ['worker', false]])
  t.equal(out.sbom[0].content.bomFormat, 'CycloneDX')
  t.equal(out.image.layers, 2)
})

t.test('a non-CNB image gets a plain summary', async (t) => {
  const r = await runCli(['inspect', `oci:${dir}:plain`])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /Not a Cloud Native Buildpacks image/)
  t.match(r.stdout, /^Layers: 1 \(\d+ B\)$/m)
  t.match(r.stdout, /^Cmd: \["sh"\]$/m)
  t.match(r.stdout, /^Entrypoint: \(none\)$/m)
  t.match(r.stdout, 'Env:\n  PATH=/bin\nLabels:\n  a=b\n')
  const j = JSON.parse((await runCli(['inspect', `oci:${dir}:plain`, '--json'])).stdout)
  t.equal(j.cnb, false)
  t.same(j.image.cmd, ['sh'])
})

t.test('an index: the host platform, or --platform', async (t) => {
  const arm = JSON.parse((await runCli(['inspect', `oci:${dir}:multi`, '--platform', 'linux/arm64', '--json'])).stdout)
  t.equal(arm.image.architecture, 'arm64')
  const amd = JSON.parse((await runCli(['inspect', `oci:${dir}:multi`, '--platform', 'linux/amd64', '--json'])).stdout)
  t.equal(amd.image.architecture, 'amd64')
  const none = await runCli(['inspect', `oci:${dir}:multi`, '--platform', 'linux/s390x'])
  t.not(none.code, 0)
  t.match(none.stderr, /linux\/s390x/)
})

t.test('errors: missing IMAGE is a usage error; an unknown tag says so', async (t) => {
  const r = await runCli(['inspect'])
  t.equal(r.code, 3)
  t.match(r.stderr, /missing IMAGE/)
  const nf = await runCli(['inspect', `oci:${dir}:nope`])
  t.not(nf.code, 0)
  t.match(nf.stderr, /nope/)
})

t.test('label warnings go to stderr; stdout stays the report', async (t) => {
  const local = await mkdtemp(join(tmpdir(), 'lading-cli-inspect-bad-'))
  t.teardown(() => rm(local, { recursive: true, force: true }))
  const repo = await openLayout(local, { create: true })
  await storeImage(repo, imageFromParts({ config: { Labels: { 'io.buildpacks.lifecycle.metadata': '{oops' } } }), ['bad'])
  const r = await runCli(['inspect', `oci:${local}:bad`])
  t.equal(r.code, 0)
  t.match(r.stderr, /warning: label io\.buildpacks\.lifecycle\.metadata/)
  t.match(r.stdout, 'Buildpacks:\n  (buildpack metadata not present)')
  t.match(r.stdout, 'Run Images:\n  (none)')
})

t.test('table and renderInspect are plain functions', async (t) => {
  t.same(table([['A', 'BB'], ['ccc', 'd']]), ['  A      BB', '  ccc    d'])
  t.same(table([['x', '']]), ['  x'], 'no trailing spaces')
  const text = renderInspect({
    cnb: true, image: { digest: sha('d'), mediaType: MediaTypes.OCI_MANIFEST, os: 'linux', architecture: 'arm', variant: 'v7', layers: 0, size: 0, entrypoint: [], cmd: [], env: [], workingDir: '', user: '', labels: {} },
    stack: '', base: { reference: '', topLayer: '' }, runImage: { image: '', mirrors: [] }, rebasable: false,
    buildpacks: [], extensions: [{ id: 'e/x', version: '1' }], processes: [], bom: [{ name: 'n' }], sbom: [], warnings: [],
  }, 'x')
  t.match(text, 'Platform: linux/arm/v7')
  t.match(text, 'Top Layer: (unknown)')
  t.match(text, 'Rebasable: false')
  t.match(text, /Extensions:\n {2}ID +VERSION +HOMEPAGE\n {2}e\/x +1 +-/)
  t.match(text, 'Bill of Materials (legacy):\n[\n  {\n    "name": "n"')
  t.match(text, 'SBOM:\n  (no SBOM layer)')
  t.notMatch(text, /Processes:/)
})
