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
import TOML from '@iarna/toml'
import { runCli } from '../../helpers/cli.js'
import { storeImage } from '../../helpers/store-image.js'

let dir: string
let appDigest: string
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
    launcher: { version: '0.1.0', source: { git: { repository: 'github.com/lading/lading', commit: '' } } },
    processes: [
      { type: 'worker', command: ['node'], args: ['worker.js'], direct: true, buildpackID: 'acme/node', workingDir: '/workspace/w' },
      { type: 'web', command: ['node', 'server.js'], args: ['--port', '8080'], direct: true, buildpackID: 'acme/node' },
      { type: 'shelly', command: ['echo shell-ran'], args: [], direct: false, buildpackID: 'acme/node' },
    ],
  })
  return imageFromParts({
    platform: { os: 'linux', architecture: arch },
    config: { Entrypoint: ['/cnb/process/web'], WorkingDir: '/workspace', Labels: { 'io.buildpacks.lifecycle.metadata': lm, 'io.buildpacks.build.metadata': bm, 'io.buildpacks.base.id': 'io.test.base', 'io.buildpacks.stack.id': 'io.test.stack' } },
    layers: [layerFromBytes(await tarOf({ 'bin/sh': 'x' })), sbom],
  })
}

t.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lading-cli-inspect-'))
  const repo = await openLayout(dir, { create: true })
  appDigest = (await storeImage(repo, await appImage(), ['app'])).digest
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

t.test("human output: pack's text (LOCAL: for a layout), then lading's digest and platform", async (t) => {
  const r = await runCli(['inspect', `oci:${dir}:app`])
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, `Inspecting image: 'oci:${dir}:app'

REMOTE:
(not present)

LOCAL:

Stack: io.test.stack

Base Image:
  Reference: reg.test/run@${sha('ref')}
  Top Layer: ${sha('top')}

Run Images:
  reg.test/run:v1
  mirror.test/run:v1

Rebasable: true

Buildpacks:
  ID                   VERSION        HOMEPAGE
  acme/node            2.1.0          https://example.test/node
  acme/procfile        0.3.0          -

Processes:
  TYPE                 SHELL        COMMAND               ARGS                         WORK DIR
  web (default)                     node                  server.js --port 8080        /workspace
  worker                            node                  worker.js                    /workspace/w
  shelly               bash         echo shell-ran                                     /workspace

Digest: ${appDigest}
Platform: linux/amd64
`)
  t.equal(r.stderr, '')
})

const INFO = () => ({
  stack: 'io.test.stack',
  base_image: { top_layer: sha('top'), reference: `reg.test/run@${sha('ref')}` },
  run_images: [{ name: 'reg.test/run:v1' }, { name: 'mirror.test/run:v1' }],
  buildpacks: [{ id: 'acme/node', version: '2.1.0', homepage: 'https://example.test/node' }, { id: 'acme/procfile', version: '0.3.0' }],
  extensions: null,
  processes: [
    { type: 'web', shell: '', command: 'node', default: true, args: ['server.js', '--port', '8080'], 'working-dir': '/workspace' },
    { type: 'worker', shell: '', command: 'node', default: false, args: ['worker.js'], 'working-dir': '/workspace/w' },
    { type: 'shelly', shell: 'bash', command: 'echo shell-ran', default: false, args: null, 'working-dir': '/workspace' },
  ],
  rebasable: true,
})

t.test("--output json (and --json): pack's schema, the full document", async (t) => {
  const want = { image_name: `oci:${dir}:app`, remote_info: null, local_info: INFO(), digest: appDigest, platform: 'linux/amd64', cnb: true }
  for (const flags of [['--output', 'json'], ['-o', 'json'], ['--json']]) {
    const r = await runCli(['inspect', `oci:${dir}:app`, ...flags])
    t.equal(r.code, 0, r.stderr)
    t.equal(r.stdout, `${JSON.stringify(want, null, 2)}\n`, flags.join(' '))
  }
})

t.test("--output yaml: the same document as yaml.v3 writes it (nil lists as [])", async (t) => {
  const r = await runCli(['inspect', `oci:${dir}:app`, '-o', 'yaml'])
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, `image_name: oci:${dir}:app
remote_info: null
local_info:
    stack: io.test.stack
    base_image:
        top_layer: ${sha('top')}
        reference: reg.test/run@${sha('ref')}
    run_images:
        - name: reg.test/run:v1
        - name: mirror.test/run:v1
    buildpacks:
        - id: acme/node
          version: 2.1.0
          homepage: https://example.test/node
        - id: acme/procfile
          version: 0.3.0
    extensions: []
    processes:
        - type: web
          shell: ""
          command: node
          default: true
          args:
              - server.js
              - --port
              - "8080"
          working-dir: /workspace
        - type: worker
          shell: ""
          command: node
          default: false
          args:
              - worker.js
          working-dir: /workspace/w
        - type: shelly
          shell: bash
          command: echo shell-ran
          default: false
          args: []
          working-dir: /workspace
    rebasable: true
digest: ${appDigest}
platform: linux/amd64
cnb: true
`)
})

t.test('--output toml: the same document without nulls (TOML has none)', async (t) => {
  const r = await runCli(['inspect', `oci:${dir}:app`, '-o', 'toml'])
  t.equal(r.code, 0, r.stderr)
  const info = INFO() as Record<string, unknown>
  delete info['extensions']
  info['processes'] = (info['processes'] as Record<string, unknown>[]).map((p) => (p['args'] === null ? Object.fromEntries(Object.entries(p).filter(([k]) => k !== 'args')) : p))
  t.same(JSON.parse(JSON.stringify(TOML.parse(r.stdout))), { image_name: `oci:${dir}:app`, local_info: info, digest: appDigest, platform: 'linux/amd64', cnb: true })
  t.match(r.stdout, /^image_name = /)
})

t.test('--bom lists the SBOM documents; --json is pack\'s BOM document plus sbom', async (t) => {
  const r = await runCli(['inspect', `oci:${dir}:app`, '--bom'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /SBOM:\n {2}FORMAT +BUILDPACK +LAYER +ENTRIES +SIZE +PATH\n {2}cyclonedx +acme_node +- +2 +\d+ B +\/layers\/sbom\/launch\/acme_node\/sbom\.cdx\.json\n/)
  const j = await runCli(['inspect', `oci:${dir}:app`, '--bom', '--json'])
  t.equal(j.code, 0, j.stderr)
  const out = JSON.parse(j.stdout)
  t.same(Object.keys(out), ['remote', 'local', 'digest', 'platform', 'cnb', 'sbom'])
  t.same([out.remote, out.local], [null, null], 'no legacy bom in this image')
  t.equal(out.sbom[0].content.bomFormat, 'CycloneDX')
  t.equal((await runCli(['inspect', `oci:${dir}:app`, '--bom', '-o', 'toml'])).code, 3, 'pack has no toml BOM output')
})

t.test('output flag errors are usage errors (exit 3)', async (t) => {
  t.equal((await runCli(['inspect', `oci:${dir}:app`, '-o', 'xml'])).code, 3)
  t.equal((await runCli(['inspect', `oci:${dir}:app`, '--json', '-o', 'yaml'])).code, 3)
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
  t.same(j.local_info, { stack: '', base_image: { top_layer: '', reference: '' }, run_images: null, buildpacks: null, extensions: null, processes: null, rebasable: true }, 'as pack shows such an image')
})

t.test('an index: the host platform, or --platform', async (t) => {
  const arm = JSON.parse((await runCli(['inspect', `oci:${dir}:multi`, '--platform', 'linux/arm64', '--json'])).stdout)
  t.equal(arm.platform, 'linux/arm64')
  const amd = JSON.parse((await runCli(['inspect', `oci:${dir}:multi`, '--platform', 'linux/amd64', '--json'])).stdout)
  t.equal(amd.platform, 'linux/amd64')
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

t.test('a malformed io.buildpacks label: exit 4 naming it, as pack; --json prints an error object only', async (t) => {
  const local = await mkdtemp(join(tmpdir(), 'lading-cli-inspect-bad-'))
  t.teardown(() => rm(local, { recursive: true, force: true }))
  const repo = await openLayout(local, { create: true })
  await storeImage(repo, imageFromParts({ config: { Labels: { 'io.buildpacks.lifecycle.metadata': '{oops' } } }), ['bad'])
  const r = await runCli(['inspect', `oci:${local}:bad`])
  t.equal(r.code, 4)
  t.match(r.stderr, /^error: unmarshalling label 'io\.buildpacks\.lifecycle\.metadata': not valid JSON/)
  t.equal(r.stdout, '', 'no partial report')
  const j = await runCli(['inspect', `oci:${local}:bad`, '--json'])
  t.equal(j.code, 4)
  const doc = JSON.parse(j.stdout)
  t.same(Object.keys(doc), ['error'])
  t.equal(doc.error.code, 'ERR_LABEL_INVALID')
  t.match(doc.error.message, /^unmarshalling label 'io\.buildpacks\.lifecycle\.metadata'/)
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
  t.match(text, 'Top Layer: \n')
  t.match(text, 'Rebasable: false')
  t.match(text, /Extensions:\n {2}ID +VERSION +HOMEPAGE\n {2}e\/x +1 +-/)
  t.match(text, 'Bill of Materials (legacy):\n[\n  {\n    "name": "n"')
  t.match(text, 'SBOM:\n  (no SBOM layer)')
  t.notMatch(text, /Processes:/)
})

t.test("oci:DIR (the lifecycle's busybox layout: one manifest, no tag) and oci:DIR@DIGEST", async (t) => {
  const fixture = join(import.meta.dirname, '..', '..', 'layout', 'fixtures', 'lifecycle-busybox')
  const manifest = 'sha256:f75f3d1a317fc82c793d567de94fc8df2bece37acd5f2bd364a0d91a0d1f3dab'
  for (const ref of [`oci:${fixture}`, `oci:${fixture}@${manifest}`]) {
    const r = await runCli(['inspect', ref, '--json'])
    t.equal(r.code, 0, r.stderr)
    const j = JSON.parse(r.stdout)
    t.same([j.image_name, j.digest, j.cnb, j.remote_info], [ref, manifest, false, null], ref)
  }
  const several = await runCli(['inspect', `oci:${dir}`])
  t.equal(several.code, 4)
  t.match(several.stderr, new RegExp(`holds \\d+ manifests and none is tagged latest; .*\\(app\\).*\\(plain\\)`))
})
