import t from 'tap'
import { createWriteStream } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { createGzip } from 'node:zlib'
import tarStream from 'tar-stream'
import { LABELS, lifecycleFromArchive, lifecycleFromImage } from '../../lib/distribution/index.js'
import { imageFromParts } from '../../lib/image/index.js'
import { entriesLayer, readTar, tmp } from './helpers.js'

let dir: string
t.before(async () => { dir = await tmp('lading-dist-lifecycle-') })
t.teardown(() => rm(dir, { recursive: true, force: true }))

const BINS = ['analyzer', 'builder', 'creator', 'detector', 'exporter', 'launcher', 'restorer']
const DESCRIPTOR = '[apis]\n[apis.buildpack]\ndeprecated = []\nsupported = ["0.7", "0.11"]\n[apis.platform]\ndeprecated = []\nsupported = ["0.12", "0.13"]\n[lifecycle]\nversion = "0.20.9"\n'

async function archive(file: string, bins: string[]): Promise<string> {
  const pack = tarStream.pack()
  const done = pipeline(pack, createGzip(), createWriteStream(file))
  pack.entry({ name: 'lifecycle.toml' }, DESCRIPTOR)
  for (const b of bins) pack.entry({ name: `lifecycle/${b}`, mode: 0o755 }, '#!/bin/sh\n')
  pack.finalize()
  await done
  return file
}

t.test('a release archive: one layer with /cnb/lifecycle and the /lifecycle symlink; version and APIs', async (t) => {
  const parts = await lifecycleFromArchive(await archive(join(dir, 'lc.tgz'), BINS), join(dir, 'store'))
  t.same(parts.metadata, { version: '0.20.9', api: { buildpack: '0.7', platform: '0.12' }, apis: { buildpack: { deprecated: [], supported: ['0.7', '0.11'] }, platform: { deprecated: [], supported: ['0.12', '0.13'] } } })
  const entries = await readTar(await parts.layers[0]!.uncompressed())
  t.ok(entries.find((e) => e.name === 'lifecycle' && e.type === 'symlink'))
  t.equal(entries.find((e) => e.name === 'cnb/lifecycle/detector')!.mode, 0o755)
  t.match(entries.find((e) => e.name === 'cnb/lifecycle/lifecycle.toml')!.text, /0\.20\.9/)
})

t.test('not a lifecycle: missing binaries or descriptor are named', async (t) => {
  await t.rejects(lifecycleFromArchive(await archive(join(dir, 'short.tgz'), ['detector']), join(dir, 'store')), { code: 'ERR_DISTRIBUTION_LIFECYCLE_INVALID', message: /restorer, analyzer, builder, exporter, launcher, creator not found/ })
})

t.test('a lifecycle image: files under /cnb/lifecycle, version and APIs from its labels', async (t) => {
  const layer = await entriesLayer(BINS.map((b) => ({ path: `/cnb/lifecycle/${b}`, type: 'file' as const, mode: 0o755, content: 'x' })), join(dir, 'store'))
  const image = imageFromParts({ config: { Labels: { [LABELS.lifecycleVersion]: '0.21.0', [LABELS.lifecycleApis]: '{"buildpack":{"deprecated":[],"supported":["0.10"]},"platform":{"deprecated":[],"supported":["0.13"]}}' } }, layers: [layer] })
  const parts = await lifecycleFromImage(image, 'lc-image', join(dir, 'store'))
  t.equal(parts.metadata.version, '0.21.0')
  t.same(parts.metadata.apis!.platform.supported, ['0.13'])
  await t.rejects(lifecycleFromImage(imageFromParts({}), 'plain', join(dir, 'store')), { message: /plain: not a lifecycle image/ })
})
