import t from 'tap'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import TOML from '@iarna/toml'
import {
  decodeLifecycleMetadata, emptyLayersMetadata, encodeLifecycleMetadata, metadataFromToml, metadataToToml,
  parseAnalyzed, readAnalyzedFile, stringifyAnalyzed, type Analyzed, type LayersMetadata,
} from '../../../lib/platform/index.js'

const sha = (c: string) => `sha256:${c.repeat(64)}`

const MD: LayersMetadata = {
  app: [{ sha: sha('a') }],
  buildpacks: [{
    key: 'acme/node', version: '2.1.0',
    layers: { runtime: { sha: sha('7'), data: { version: '20.11.1', nested: { n: 2 } }, build: true, launch: true, cache: true } },
    store: { metadata: { k: 'v' } },
  }],
  config: { sha: sha('c') },
  launcher: { sha: sha('1') },
  runImage: { topLayer: sha('e'), reference: `r/run@${sha('0')}`, image: 'r/run:jammy', mirrors: ['m/run:jammy'] },
}

const ANALYZED: Analyzed = {
  previousImage: { reference: `registry.example/team/app@${sha('3')}` },
  runImage: {
    reference: `registry.example/base/run@${sha('0')}`,
    image: 'registry.example/base/run:jammy',
    target: { id: 'io.example.jammy', os: 'linux', arch: 'arm64', archVariant: 'v8', distro: { name: 'ubuntu', version: '22.04' } },
  },
  metadata: MD,
}

t.test('writes the §5.1 shape', async (t) => {
  const text = stringifyAnalyzed(ANALYZED)
  t.ok(text.startsWith(`[image]\nreference = "registry.example/team/app@${sha('3')}"\n\n[run-image]\nreference = "registry.example/base/run@${sha('0')}"\nimage = "registry.example/base/run:jammy"\n`))
  t.match(text, '  [run-image.target]\n  id = "io.example.jammy"\n  os = "linux"\n  arch = "arm64"\n  arch-variant = "v8"\n')
  t.match(text, '    [run-image.target.distro]\n    name = "ubuntu"\n    version = "22.04"\n')
  t.ok(text.indexOf('[run-image]') < text.indexOf('[metadata'), 'metadata comes last')
  const raw = TOML.parse(text) as any
  const layer = raw.metadata.buildpacks[0].layers.runtime
  t.same({ ...layer, metadata: { ...layer.metadata, nested: { ...layer.metadata.nested } } },
    { sha: sha('7'), launch: true, build: true, cache: true, metadata: { version: '20.11.1', nested: { n: 2 } } },
    'layer data is under "metadata" in TOML')
  t.equal(raw.metadata['run-image']['top-layer'], sha('e'))
  t.equal(raw.metadata.stack['run-image'].image, 'r/run:jammy')
  t.equal(raw.metadata.buildpacks[0].store.metadata.k, 'v')
})

t.test('round-trips and is byte-stable', async (t) => {
  const text = stringifyAnalyzed(ANALYZED)
  const { analyzed, warnings } = parseAnalyzed(text)
  t.same(warnings, [])
  t.same(analyzed, ANALYZED)
  t.equal(stringifyAnalyzed(analyzed), text)
})

t.test('no previous image: empty metadata, no [image]', async (t) => {
  const a: Analyzed = { runImage: { reference: 'r@' + sha('0') }, metadata: emptyLayersMetadata() }
  const text = stringifyAnalyzed(a)
  t.notMatch(text, /^\[image\]/m)
  t.same(parseAnalyzed(text).analyzed, a)
  t.same(parseAnalyzed('').analyzed, { metadata: emptyLayersMetadata() })
})

t.test('label → TOML → label is lossless', async (t) => {
  const label = encodeLifecycleMetadata(MD)
  const back = metadataFromToml(metadataToToml(decodeLifecycleMetadata(label).value))
  t.same(back.warnings, [])
  t.equal(encodeLifecycleMetadata(back.value), label)
})

t.test('null values from a JSON label are dropped for TOML', async (t) => {
  const md = emptyLayersMetadata()
  md.buildpacks = [{ key: 'a', version: '1', layers: { l: { sha: 's', data: { x: null, y: [1, null], z: 'k' }, build: false, launch: true, cache: false } } }]
  const text = stringifyAnalyzed({ metadata: md })
  t.same(parseAnalyzed(text).analyzed.metadata.buildpacks[0]!.layers['l']!.data, { y: [1], z: 'k' })
})

t.test('reads what the lifecycle writes: variant key, build-image, extend', async (t) => {
  const text = `
[image]
  reference = ""
[build-image]
  reference = "b@sha256:1"
[run-image]
  reference = "r@sha256:2"
  extend = true
  [run-image.target]
    os = "linux"
    arch = "arm"
    variant = "v7"
[metadata]
  [metadata.run-image]
    top-layer = "sha256:ee"
    reference = "r@sha256:2"
  [metadata.stack.run-image]
    image = "old/run:1"
    mirrors = ["m/run:1"]
`
  const { analyzed } = parseAnalyzed(text)
  t.equal(analyzed.previousImage, undefined, 'empty previous reference means none')
  t.same(analyzed.buildImage, { reference: 'b@sha256:1' })
  t.same(analyzed.runImage, { reference: 'r@sha256:2', extend: true, target: { os: 'linux', arch: 'arm', archVariant: 'v7' } })
  t.same(analyzed.metadata.runImage, { topLayer: 'sha256:ee', reference: 'r@sha256:2', image: 'old/run:1', mirrors: ['m/run:1'] })
})

const BAD: Array<[string, string, RegExp]> = [
  ['run-image not a table', 'run-image = 1\n', /a\.toml: key "run-image": must be a table/],
  ['target os not a string', '[run-image]\nreference = "r"\n[run-image.target]\nos = 1\n', /key "run-image\.target\.os": must be a string/],
  ['build-image without reference', '[build-image]\n', /key "build-image\.reference": is required/],
  ['bad toml', '[metadata\n', /a\.toml: invalid TOML/],
]
for (const [name, text, re] of BAD) {
  t.test(`rejects: ${name}`, async (t) => {
    t.throws(() => parseAnalyzed(text, 'a.toml'), { code: 'ERR_PLATFORM_FILE_INVALID', message: re })
  })
}

t.test('[metadata] of the wrong shape is lenient, with warnings naming the file', async (t) => {
  const { analyzed, warnings } = parseAnalyzed('[metadata]\napp = "x"\n', 'a.toml')
  t.same(analyzed.metadata.app, [])
  t.match(warnings, [/^a\.toml \[metadata\]: app should be an array/])
})

t.test('readAnalyzedFile', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lading-analyzed-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await writeFile(join(dir, 'analyzed.toml'), stringifyAnalyzed(ANALYZED))
  t.same((await readAnalyzedFile(join(dir, 'analyzed.toml'))).analyzed, ANALYZED)
  await t.rejects(readAnalyzedFile(join(dir, 'none.toml')), { code: 'ERR_PLATFORM_FILE_INVALID' })
})
