import t from 'tap'
import { PassThrough, Readable } from 'node:stream'
import tarStream from 'tar-stream'
import { sha256 } from '../../lib/digest/index.js'
import { imageFromParts, layerFromBytes, type Layer } from '../../lib/image/index.js'
import { MalformedLabelError, sbomDocuments, inspectImage } from '../../lib/inspect/index.js'
import { exitCodeFor } from '../../lib/exit-codes.js'
import { encodeBuildMetadata, encodeLifecycleMetadata, type LayersMetadata } from '../../lib/platform/index.js'

const sha = (s: string): string => sha256(Buffer.from(s))

async function tarOf(files: Record<string, string>, dirs: string[] = []): Promise<Buffer> {
  const pack = tarStream.pack()
  for (const d of dirs) pack.entry({ name: d, type: 'directory' })
  for (const [name, content] of Object.entries(files)) pack.entry({ name, type: 'file' }, content)
  pack.finalize()
  const chunks: Buffer[] = []
  for await (const c of pack) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

const CDX = JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.4', version: 1, components: [{ type: 'application', name: 'x', version: '1' }] })

t.test('an image as lading exports it: base, run images, buildpacks, processes, default from Entrypoint', async (t) => {
  const md: LayersMetadata = {
    app: [{ sha: sha('app') }], buildpacks: [{ key: 'acme/node', version: '2.1.0', layers: {} }],
    runImage: { topLayer: sha('top'), reference: 'reg.test/run@' + sha('m'), image: 'reg.test/run:v1', mirrors: ['mirror.test/run:v1'] },
  }
  const bm = encodeBuildMetadata({
    buildpacks: [{ id: 'acme/node', version: '2.1.0', homepage: 'https://example.test/node' }, { id: 'acme/procfile', version: '0.3.0' }],
    launcher: { version: '0.20.9', source: { git: { repository: 'github.com/buildpacks/lifecycle', commit: 'abc1234' } } },
    processes: [
      { type: 'web', command: ['node', 'server.js'], args: ['--port', '8080'], direct: true, buildpackID: 'acme/node', workingDir: '/workspace/api' },
      { type: 'worker', command: ['node'], args: ['worker.js'], direct: true, buildpackID: 'acme/node' },
    ],
  })
  const image = imageFromParts({
    config: {
      Entrypoint: ['/cnb/process/worker'], WorkingDir: '/workspace', Env: ['PATH=/cnb/process:/bin'],
      Labels: { 'io.buildpacks.lifecycle.metadata': encodeLifecycleMetadata(md), 'io.buildpacks.build.metadata': bm, 'io.buildpacks.base.id': 'io.test.base', 'io.buildpacks.rebasable': 'true' },
    },
    layers: [layerFromBytes(await tarOf({ 'a.txt': 'a' }))],
  })
  const r = await inspectImage(image)
  t.equal(r.cnb, true)
  t.equal(r.stack, '', 'pack reads io.buildpacks.stack.id only')
  t.same(r.base, { reference: md.runImage.reference, topLayer: md.runImage.topLayer })
  t.same(r.runImage, { image: 'reg.test/run:v1', mirrors: ['mirror.test/run:v1'] })
  t.equal(r.rebasable, true)
  t.same(r.buildpacks.map((b) => [b.id, b.homepage]), [['acme/node', 'https://example.test/node'], ['acme/procfile', undefined]])
  t.same(r.processes, [
    { type: 'worker', shell: '', command: ['node'], args: ['worker.js'], workingDir: '/workspace', default: true, buildpackId: 'acme/node' },
    { type: 'web', shell: '', command: ['node', 'server.js'], args: ['--port', '8080'], workingDir: '/workspace/api', default: false, buildpackId: 'acme/node' },
  ], 'the default first, as pack lists them')
  t.same(r.launcher, { version: '0.20.9', repository: 'github.com/buildpacks/lifecycle', commit: 'abc1234' })
  t.equal(r.image.layers, 1)
  t.equal(r.image.digest, await image.digest())
  t.same(r.warnings, [])
  t.equal(r.sbom, undefined, 'no SBOM unless asked')
})

t.test('lifecycle 0.17-style labels: stack.runImage fallback, string command, null args, CNB_PROCESS_TYPE, legacy bom', async (t) => {
  const lm = `{"app":[{"sha":"${sha('app')}"}],"buildpacks":[{"key":"paketo-buildpacks/node-engine","version":"1.2.3","layers":{"node":{"sha":"${sha('n')}","data":{"v":"18"},"build":false,"launch":true,"cache":false}}}],"launcher":{"sha":"${sha('l')}"},"runImage":{"topLayer":"${sha('top')}","reference":"index.docker.io/paketobuildpacks/run@${sha('r')}"},"stack":{"runImage":{"image":"paketobuildpacks/run:base-cnb","mirrors":["gcr.io/paketo-buildpacks/run:base-cnb"]}}}`
  const bom = [{ name: 'node', metadata: { version: '18.1.0' }, buildpack: { id: 'paketo-buildpacks/node-engine', version: '1.2.3' } }]
  const bm = JSON.stringify({
    bom, buildpacks: [{ id: 'paketo-buildpacks/node-engine', version: '1.2.3' }],
    launcher: { version: '0.17.0', source: { git: { repository: 'github.com/buildpacks/lifecycle', commit: 'def' } } },
    processes: [{ type: 'web', command: 'node server.js', args: null, direct: false, buildpackID: 'paketo-buildpacks/npm-start' }, { type: 'task' }],
  })
  const image = imageFromParts({
    config: {
      Entrypoint: ['/cnb/lifecycle/launcher'], Env: ['CNB_PROCESS_TYPE=web'], WorkingDir: '/workspace',
      Labels: { 'io.buildpacks.lifecycle.metadata': lm, 'io.buildpacks.build.metadata': bm, 'io.buildpacks.stack.id': 'io.buildpacks.stacks.bionic', 'io.buildpacks.rebasable': 'false' },
    },
  })
  const r = await inspectImage(image, { bom: true })
  t.equal(r.stack, 'io.buildpacks.stacks.bionic')
  t.same(r.runImage, { image: 'paketobuildpacks/run:base-cnb', mirrors: ['gcr.io/paketo-buildpacks/run:base-cnb'] })
  t.equal(r.base.topLayer, sha('top'))
  t.equal(r.rebasable, false)
  t.same(r.processes[0], { type: 'web', shell: 'bash', command: ['node server.js'], args: [], workingDir: '/workspace', default: true, buildpackId: 'paketo-buildpacks/npm-start' })
  t.equal(r.processes[1]?.type, 'task', 'missing keys default')
  t.same(r.processes[1]?.command, [])
  t.same(r.bom, bom)
  t.same(r.sbom, [], 'no sbom key: no documents')
  t.same(r.warnings, [], 'missing keys and null args are normal in old labels: no warning')
})

t.test('only the lifecycle label: buildpacks from it; no Entrypoint match means no default', async (t) => {
  const lm = JSON.stringify({ buildpacks: [{ key: 'a/b', version: '1' }], runImage: { topLayer: sha('t'), image: 'run:1' } })
  const r = await inspectImage(imageFromParts({ config: { Labels: { 'io.buildpacks.lifecycle.metadata': lm } } }))
  t.equal(r.cnb, true)
  t.same(r.buildpacks, [{ id: 'a/b', version: '1' }])
  t.same(r.processes, [])
  t.equal(r.rebasable, true, 'absent rebasable label reads as true')
})

t.test('an image exported without a launcher: the default is the process whose command is the Entrypoint', async (t) => {
  const bm = JSON.stringify({ buildpacks: [], processes: [
    { type: 'web', command: ['/bin/httpd', '-f'], args: [], direct: true, buildpackID: 'x' },
    { type: 'cli', command: ['/bin/sh'], args: [], direct: true, buildpackID: 'x' },
  ] })
  const r = await inspectImage(imageFromParts({ config: { Entrypoint: ['/bin/httpd', '-f'], Labels: { 'io.buildpacks.build.metadata': bm } } }))
  t.same(r.processes.map((p) => [p.type, p.default]), [['web', true], ['cli', false]])
})

t.test('a malformed label fails the inspection naming it (exit 4), as pack does', async (t) => {
  const inspectLabels = (Labels: Record<string, string>) => inspectImage(imageFromParts({ config: { Labels } }), { bom: true })
  const want = (label: string, detail: RegExp) => ({ constructor: MalformedLabelError, code: 'ERR_LABEL_INVALID', label, message: new RegExp(`^unmarshalling label '${label.replace(/\./g, '\\.')}': ${detail.source}`) })
  await t.rejects(inspectLabels({ 'io.buildpacks.lifecycle.metadata': 'not json' }), want('io.buildpacks.lifecycle.metadata', /not valid JSON/))
  await t.rejects(inspectLabels({ 'io.buildpacks.build.metadata': '[1]' }), want('io.buildpacks.build.metadata', /must be a JSON object/))
  await t.rejects(inspectLabels({ 'io.buildpacks.build.metadata': '{"processes":5}' }), want('io.buildpacks.build.metadata', /processes should be an array/), 'a field of the wrong type')
  await t.rejects(inspectLabels({ 'io.buildpacks.rebasable': 'yes' }), want('io.buildpacks.rebasable', /Unexpected token/))
  await t.rejects(inspectLabels({ 'io.buildpacks.rebasable': '"true"' }), want('io.buildpacks.rebasable', /must be a JSON boolean/))
  t.equal(exitCodeFor('ERR_LABEL_INVALID'), 4)
  const ok = await inspectLabels({ 'io.buildpacks.lifecycle.metadata': '', 'io.buildpacks.rebasable': '' })
  t.equal(ok.rebasable, true, 'empty labels read as absent')
})

t.test('a non-CNB image: a plain summary', async (t) => {
  const layers = [layerFromBytes(await tarOf({ 'bin/sh': 'x' })), layerFromBytes(await tarOf({ 'etc/os': 'y' }))]
  const image = imageFromParts({
    platform: { os: 'linux', architecture: 'arm64', variant: 'v8' }, created: '2024-01-02T03:04:05Z',
    config: { Entrypoint: null, Cmd: ['sh'], Env: ['PATH=/bin'], User: '1000', Labels: { 'org.opencontainers.image.title': 'busybox' } },
    layers,
  })
  const r = await inspectImage(image, { bom: true })
  t.equal(r.cnb, false)
  t.equal(r.image.layers, 2)
  t.equal(r.image.size, (await layers[0]!.size()) + (await layers[1]!.size()))
  t.same([r.image.os, r.image.architecture, r.image.variant, r.image.created], ['linux', 'arm64', 'v8', '2024-01-02T03:04:05Z'])
  t.same(r.image.entrypoint, [])
  t.same(r.image.cmd, ['sh'])
  t.same(r.image.env, ['PATH=/bin'])
  t.equal(r.image.user, '1000')
  t.same(r.image.labels, { 'org.opencontainers.image.title': 'busybox' })
  t.equal(r.sbom, undefined, 'no CNB metadata: nothing to read')
})

t.test('--bom reads the SBOM layer named by sbom.sha, and only that layer', async (t) => {
  const sbomTar = await tarOf({
    'layers/sbom/launch/acme_node/sbom.cdx.json': CDX,
    'layers/sbom/launch/acme_node/runtime/sbom.syft.json': JSON.stringify({ artifacts: [1, 2] }),
    'layers/sbom/launch/acme_node/sbom.spdx.json': '{broken',
  }, ['layers/', 'layers/sbom/', 'layers/sbom/launch/'])
  const sbomLayer = layerFromBytes(sbomTar)
  const other = layerFromBytes(await tarOf({ 'app/x': 'y' }))
  let otherRead = 0
  const spy: Layer = { ...other, uncompressed: async (s) => { otherRead++; return other.uncompressed(s) }, compressed: async (s) => { otherRead++; return other.compressed(s) } }
  const md: LayersMetadata = { app: [], buildpacks: [], sbom: { sha: await sbomLayer.diffId() }, runImage: { topLayer: '', reference: '', image: '', mirrors: [] } }
  const image = imageFromParts({ config: { Labels: { 'io.buildpacks.lifecycle.metadata': encodeLifecycleMetadata(md) } }, layers: [spy, sbomLayer] })
  const r = await inspectImage(image, { bom: true })
  t.equal(otherRead, 0, 'no other layer read')
  t.same(r.sbom?.map((d) => [d.path, d.buildpack, d.layer, d.format]), [
    ['/layers/sbom/launch/acme_node/sbom.cdx.json', 'acme_node', undefined, 'cyclonedx'],
    ['/layers/sbom/launch/acme_node/runtime/sbom.syft.json', 'acme_node', 'runtime', 'syft'],
    ['/layers/sbom/launch/acme_node/sbom.spdx.json', 'acme_node', undefined, 'spdx'],
  ])
  t.same(r.sbom?.[0]?.content, JSON.parse(CDX))
  t.equal(r.sbom?.[0]?.size, Buffer.byteLength(CDX))
  t.equal(r.sbom?.[2]?.content, undefined)
  t.match(r.warnings.join('\n'), /sbom\.spdx\.json: not valid JSON/)
})

t.test('--bom with an sbom.sha that is not in the image: a warning', async (t) => {
  const md: LayersMetadata = { app: [], buildpacks: [], sbom: { sha: sha('gone') }, runImage: { topLayer: '', reference: '', image: '', mirrors: [] } }
  const r = await inspectImage(imageFromParts({ config: { Labels: { 'io.buildpacks.lifecycle.metadata': encodeLifecycleMetadata(md) } } }), { bom: true })
  t.same(r.sbom, [])
  t.match(r.warnings.join('\n'), /SBOM layer .* is not in the image/)
})

t.test('sbomDocuments: files over the limit are listed without content; a broken tar rejects', async (t) => {
  const warnings: string[] = []
  const docs = await sbomDocuments(Readable.from([await tarOf({ 'layers/sbom/launch/a/sbom.cdx.json': CDX, 'other/file': 'z' })]), warnings, 10)
  t.equal(docs.length, 1)
  t.equal(docs[0]?.content, undefined)
  t.equal(docs[0]?.size, Buffer.byteLength(CDX))
  t.match(warnings[0], /too large/)
  const broken = new PassThrough()
  const p = sbomDocuments(broken, [])
  broken.destroy(new Error('connection reset'))
  await t.rejects(p, /connection reset/)
})
