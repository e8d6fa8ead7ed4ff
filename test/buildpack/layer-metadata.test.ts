import t from 'tap'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import {
  findUnsupportedSbomFiles, finalizeLayers, formatRestoredLayerMetadata, parseLayerMetadata, readBuildpackSbomFiles, readLayersDir,
  writeRestoredLayerMetadata, RESERVED_LAYER_NAMES,
} from '../../lib/buildpack/index.js'
import { tempDir, tempTree, writeTree } from './fixtures.js'

const P = '/layers/acme_node/runtime.toml'

t.test('parseLayerMetadata reads [types] and [metadata]', async (t) => {
  const cases: [string, string, { launch: boolean; build: boolean; cache: boolean }, object][] = [
    ['full', '[types]\nlaunch = true\nbuild = true\ncache = true\n[metadata]\nversion = "20"', { launch: true, build: true, cache: true }, { version: '20' }],
    ['empty', '', { launch: false, build: false, cache: false }, {}],
    ['partial', '[types]\ncache = true', { launch: false, build: false, cache: true }, {}],
    ['metadata only', '[metadata]\na = { b = 1 }', { launch: false, build: false, cache: false }, { a: { b: 1 } }],
  ]
  for (const [name, text, types, metadata] of cases) {
    const r = parseLayerMetadata(text, P)
    t.same(r.types, types, name)
    t.same(r.metadata, metadata, name)
  }
})

t.test('parseLayerMetadata rejects top-level flags and bad types', async (t) => {
  const bad: [string, string | undefined, RegExp][] = [
    ['launch = true', 'launch', /under \[types\]/],
    ['build = false\n[metadata]', 'build', /under \[types\]/],
    ['cache = true', 'cache', /under \[types\]/],
    ['[types]\nlaunch = "yes"', 'types.launch', /boolean/],
    ['types = 1', 'types', /table/],
    ['metadata = 1', 'metadata', /table/],
    ['[types', undefined, /invalid TOML at line 1/],
  ]
  for (const [text, key, re] of bad) {
    t.throws(() => parseLayerMetadata(text, P), { code: 'ERR_BUILDPACK_LAYER_TOML', key, path: P, message: re }, text)
  }
})

t.test('restored form has only [metadata]', async (t) => {
  const text = formatRestoredLayerMetadata({ version: '1', nested: { k: [1, 2] } })
  t.notMatch(text, /types/)
  t.same(parseLayerMetadata(text, P), { types: { launch: false, build: false, cache: false }, metadata: { version: '1', nested: { k: [1, 2] } } })
  const dir = await tempDir(t)
  await writeRestoredLayerMetadata(join(dir, 'x.toml'), { a: 'b' })
  t.same(parseLayerMetadata(await readFile(join(dir, 'x.toml'), 'utf8'), P).metadata, { a: 'b' })
  t.same(RESERVED_LAYER_NAMES, ['build', 'launch', 'store'])
})

t.test('readLayersDir lists layers sorted with dirs and SBOMs; finalizeLayers renames all-false ones', async (t) => {
  const dir = await tempTree(t, '.', {
    'zeta.toml': '[types]\nlaunch = true',
    'zeta/bin/x': 'x',
    'alpha.toml': '[types]\nbuild = true\n[metadata]\nv = "1"',
    'alpha/': '',
    'alpha.sbom.cdx.json': '{}',
    'alpha.sbom.spdx.json': '{}',
    'alpha.sbom.unknown.json': '{}',
    'scratch.toml': '[metadata]\nx = 1',
    'scratch/file': 'tmp',
    'scratch.ignore/old': 'old',
    'nodir.toml': '[types]\nlaunch = true',
    'launch.toml': '[[processes]]',
    'build.toml': '',
    'store.toml': '',
    'launch.sbom.cdx.json': '{}',
    'build.sbom.syft.json': '{}',
    'plain-dir/': '',
  })
  const layers = await readLayersDir(dir)
  t.same(layers.map((l) => l.name), ['alpha', 'nodir', 'scratch', 'zeta'])
  const alpha = layers[0]!
  t.same(alpha.types, { launch: false, build: true, cache: false })
  t.same(alpha.metadata, { v: '1' })
  t.equal(alpha.hasDir, true)
  t.equal(alpha.dir, join(dir, 'alpha'))
  t.same(alpha.sbomFiles.map((s) => [s.ext, s.mediaType]), [
    ['cdx.json', 'application/vnd.cyclonedx+json'], ['spdx.json', 'application/spdx+json'],
  ])
  t.equal(layers[1]!.hasDir, false)
  const sb = await readBuildpackSbomFiles(dir)
  t.same(sb.launch.map((s) => s.ext), ['cdx.json'])
  t.same(sb.build.map((s) => s.mediaType), ['application/vnd.syft+json'])

  t.same(await findUnsupportedSbomFiles(dir), [join(dir, 'alpha.sbom.unknown.json')])
  t.same(await findUnsupportedSbomFiles(join(dir, 'missing')), [])
  t.same(await finalizeLayers(dir), ['scratch'])
  t.equal(await readFile(join(dir, 'scratch.ignore/file'), 'utf8'), 'tmp')
  await t.rejects(stat(join(dir, 'scratch.ignore/old')), { code: 'ENOENT' }, 'old .ignore replaced')
  await t.rejects(stat(join(dir, 'scratch')), { code: 'ENOENT' })
  t.ok((await stat(join(dir, 'zeta'))).isDirectory())
  t.same(await finalizeLayers(dir), [], 'idempotent')
  t.same(await readLayersDir(join(dir, 'missing')), [])
  t.same(await readBuildpackSbomFiles(join(dir, 'missing')), { launch: [], build: [] })
})

t.test('readLayersDir fails on a malformed layer toml', async (t) => {
  const dir = await tempTree(t, '.', { 'bad.toml': 'launch = true' })
  await t.rejects(readLayersDir(dir), { code: 'ERR_BUILDPACK_LAYER_TOML', path: join(dir, 'bad.toml'), key: 'launch' })
})
