import t from 'tap'
import {
  LabelError, decodeCacheMetadata, decodeLifecycleMetadata, emptyLayersMetadata, encodeCacheMetadata,
  encodeLifecycleMetadata, type LayersMetadata,
} from '../../../lib/platform/index.js'

const sha = (c: string) => `sha256:${c.repeat(64)}`

const MD: LayersMetadata = {
  app: [{ sha: sha('a') }, { sha: sha('b') }],
  sbom: { sha: sha('5') },
  buildpacks: [
    {
      key: 'acme/node', version: '2.1.0',
      layers: { runtime: { sha: sha('7'), data: { version: '20.11.1' }, build: true, launch: true, cache: true } },
      store: { metadata: { 'last-lockfile-hash': '9f' } },
    },
    { key: 'acme/procfile', version: '0.3.0', layers: {} },
  ],
  config: { sha: sha('c') },
  launcher: { sha: sha('1') },
  processTypes: { sha: sha('9') },
  runImage: {
    topLayer: sha('e'), reference: `registry.example/base/run@${sha('0')}`,
    image: 'registry.example/base/run:jammy', mirrors: ['mirror.example/base/run:jammy'],
  },
}

t.test('encodes exactly the §4.4 shape and key order', async (t) => {
  const expected = JSON.stringify({
    app: [{ sha: sha('a') }, { sha: sha('b') }],
    sbom: { sha: sha('5') },
    buildpacks: [
      {
        key: 'acme/node', version: '2.1.0',
        layers: { runtime: { sha: sha('7'), data: { version: '20.11.1' }, build: true, launch: true, cache: true } },
        store: { metadata: { 'last-lockfile-hash': '9f' } },
      },
      { key: 'acme/procfile', version: '0.3.0', layers: {} },
    ],
    config: { sha: sha('c') },
    launcher: { sha: sha('1') },
    'process-types': { sha: sha('9') },
    runImage: {
      topLayer: sha('e'), reference: `registry.example/base/run@${sha('0')}`,
      image: 'registry.example/base/run:jammy', mirrors: ['mirror.example/base/run:jammy'],
    },
    stack: { runImage: { image: 'registry.example/base/run:jammy', mirrors: ['mirror.example/base/run:jammy'] } },
  })
  t.equal(encodeLifecycleMetadata(MD), expected)
})

t.test('round-trips without warnings', async (t) => {
  const { value, warnings } = decodeLifecycleMetadata(encodeLifecycleMetadata(MD))
  t.same(value, MD)
  t.same(warnings, [])
})

t.test('layer names and free-form data are sorted like Go maps', async (t) => {
  const md = emptyLayersMetadata()
  md.buildpacks = [{ key: 'a', version: '1', layers: {
    zz: { sha: 's1', data: { b: 1, a: { d: 1, c: 2 } }, build: false, launch: true, cache: false },
    aa: { sha: 's2', build: false, launch: true, cache: false },
  } }]
  const enc = encodeLifecycleMetadata(md)
  t.match(enc, '"layers":{"aa":{"sha":"s2","data":null,"build":false,"launch":true,"cache":false},"zz":{"sha":"s1","data":{"a":{"c":2,"d":1},"b":1}')
  t.notMatch(enc, /"sbom"/, 'an absent sbom is omitted (a pointer in the lifecycle)')
  t.match(enc, '"config":{"sha":""},"launcher":{"sha":""},"process-types":{"sha":""},"runImage":{"topLayer":"","reference":""},"stack":{"runImage":{}}}',
    'config, launcher and process-types are always there (not pointers in the lifecycle); empty image and mirrors omitted')
})

t.test('lenient decoding of older/odd labels', async (t) => {
  // lifecycle < 0.12 platforms: no runImage.image, only the stack copy; no process-types.
  const old = JSON.stringify({
    app: [{ sha: sha('a') }],
    buildpacks: [{ key: 'acme/node', version: '1.0.0', layers: { deps: { sha: sha('d'), data: null, launch: true } } }],
    config: { sha: sha('c') },
    launcher: { sha: sha('1') },
    runImage: { topLayer: sha('e'), reference: 'r@' + sha('0') },
    stack: { runImage: { image: 'old/run:bionic', mirrors: ['m/run:bionic'] } },
    unknown: { dropped: true },
  })
  const { value, warnings } = decodeLifecycleMetadata(old)
  t.same(warnings, [])
  t.same(value.runImage, { topLayer: sha('e'), reference: 'r@' + sha('0'), image: 'old/run:bionic', mirrors: ['m/run:bionic'] })
  t.same(value.buildpacks[0]!.layers['deps'], { sha: sha('d'), build: false, launch: true, cache: false })
  t.notMatch(encodeLifecycleMetadata(value), /unknown/, 'unknown keys are dropped on re-encode')
  t.match(encodeLifecycleMetadata(value), /"stack":\{"runImage":\{"image":"old\/run:bionic"/)
})

const LENIENT: Array<[string, string, (v: LayersMetadata) => boolean, RegExp[]]> = [
  ['empty object', '{}', (v) => v.app.length === 0 && v.runImage.image === '', []],
  ['app not an array', '{"app":{"sha":"x"}}', (v) => v.app.length === 0, [/app should be an array, got object/]],
  ['layer flag not bool', '{"buildpacks":[{"key":"a","version":"1","layers":{"l":{"sha":"s","launch":"yes"}}}]}',
    (v) => v.buildpacks[0]!.layers['l']!.launch === false, [/buildpacks\[0\]\.layers\.l\.launch should be a boolean/]],
  ['null buildpack', '{"buildpacks":[null,{"key":"a"}]}', (v) => v.buildpacks.length === 1 && v.buildpacks[0]!.key === 'a',
    [/buildpacks\[0\] is empty; ignored/]],
  ['mirror not a string', '{"runImage":{"image":"i","mirrors":["m",3]}}', (v) => v.runImage.mirrors.join() === 'm',
    [/runImage\.mirrors\[1\] should be a string/]],
  ['config sha empty', '{"config":{"sha":""}}', (v) => v.config === undefined, []],
]
for (const [name, text, check, warns] of LENIENT) {
  t.test(`lenient: ${name}`, async (t) => {
    const { value, warnings } = decodeLifecycleMetadata(text)
    t.ok(check(value))
    t.equal(warnings.length, warns.length)
    warns.forEach((re, i) => t.match(warnings[i], re))
    warnings.forEach((w) => t.match(w, /^io\.buildpacks\.lifecycle\.metadata: /))
  })
}

for (const [name, text] of [['not JSON', '{"app":'], ['an array', '[]'], ['null', 'null'], ['a string', '"x"']] as const) {
  t.test(`malformed: ${name}`, async (t) => {
    const err = (() => { try { decodeLifecycleMetadata(text) } catch (e) { return e } })() as LabelError
    t.type(err, LabelError)
    t.equal(err.code, 'ERR_LABEL_INVALID')
    t.equal(err.label, 'io.buildpacks.lifecycle.metadata')
    t.match(err.message, /^label io\.buildpacks\.lifecycle\.metadata: /)
  })
}

t.test('cache metadata', async (t) => {
  const cache = { sbom: { sha: sha('5') }, buildpacks: [MD.buildpacks[0]!] }
  const enc = encodeCacheMetadata(cache)
  t.ok(enc.startsWith(`{"sbom":{"sha":"${sha('5')}"},"buildpacks":[{"key":"acme/node"`))
  t.same(decodeCacheMetadata(enc), { value: cache, warnings: [] })
  t.equal(encodeCacheMetadata({ buildpacks: [] }), '{"buildpacks":[]}')
  t.same(decodeCacheMetadata('{"sbom":{"sha":""},"buildpacks":null}').value, { buildpacks: [] })
  t.throws(() => decodeCacheMetadata('nope'), { code: 'ERR_LABEL_INVALID', label: 'io.buildpacks.lifecycle.cache.metadata' })
})
