import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sha256 } from '../../../lib/digest/index.js'
import { imageFromParts, type Image } from '../../../lib/image/index.js'
import { openLayout } from '../../../lib/layout/index.js'
import { encodeJson, MediaTypes } from '../../../lib/oci/index.js'
import { pushImage } from '../../../lib/remote/index.js'
import { runCli } from '../../helpers/cli.js'
import { randomImage, randomLayer } from '../../helpers/random.js'

let work: string
let layout: string
let single: Image
let amd: Image
let arm: Image
let indexDigest: string

t.before(async () => {
  work = await mkdtemp(join(tmpdir(), 'lading-cmd-manifest-'))
  layout = join(work, 'l')
  const repo = await openLayout(layout, { create: true })
  single = await randomImage(1, 128)
  await pushImage(repo, single, ['v1'])
  amd = imageFromParts({ platform: { os: 'linux', architecture: 'amd64' }, layers: [await randomLayer(64)] })
  arm = imageFromParts({ platform: { os: 'linux', architecture: 'arm64' }, layers: [await randomLayer(64)] })
  const children = [
    { ...await pushImage(repo, amd, []), platform: { os: 'linux', architecture: 'amd64' } },
    { ...await pushImage(repo, arm, []), platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
  ]
  const bytes = encodeJson({ schemaVersion: 2, mediaType: MediaTypes.OCI_INDEX, manifests: children })
  indexDigest = sha256(bytes)
  await repo.manifests.put('multi', bytes, MediaTypes.OCI_INDEX)
})
t.teardown(() => rm(work, { recursive: true, force: true }))

t.test('prints the stored manifest bytes exactly', async (t) => {
  const r = await runCli(['manifest', `oci:${layout}:v1`])
  t.equal(r.code, 0, r.stderr)
  t.same(r.stdoutBytes, Buffer.from(await single.rawManifest()))
  const idx = await runCli(['manifest', `oci:${layout}:multi`])
  t.equal(sha256(idx.stdoutBytes), indexDigest, 'an index is printed as the index without --platform')
  const byDigest = await runCli(['manifest', `oci:${layout}:${indexDigest}`])
  t.same(byDigest.stdoutBytes, idx.stdoutBytes)
})

t.test('--platform narrows an index (arm64/v8 is arm64); no match exits 4 listing platforms', async (t) => {
  const r = await runCli(['manifest', `oci:${layout}:multi`, '--platform', 'linux/arm64'])
  t.equal(r.code, 0, r.stderr)
  t.same(r.stdoutBytes, Buffer.from(await arm.rawManifest()))
  const v8 = await runCli(['manifest', `oci:${layout}:multi`, '--platform', 'linux/arm64/v8'])
  t.same(v8.stdoutBytes, r.stdoutBytes)
  const plain = await runCli(['manifest', `oci:${layout}:v1`, '--platform', 'linux/arm64'])
  t.same(plain.stdoutBytes, Buffer.from(await single.rawManifest()), 'a plain manifest is printed as it is')
  const none = await runCli(['manifest', `oci:${layout}:multi`, '--platform', 'windows/amd64'])
  t.equal(none.code, 4)
  t.match(none.stderr, /windows\/amd64.*available: linux\/amd64, linux\/arm64\/v8/)
  t.equal(none.stdout, '')
})

t.test('usage and not-found errors', async (t) => {
  t.equal((await runCli(['manifest'])).code, 3)
  t.equal((await runCli(['manifest', `oci:${layout}:v1`, 'extra'])).code, 3)
  t.equal((await runCli(['manifest', `oci:${layout}:v1`, '--platform', 'x'])).code, 3)
  t.equal((await runCli(['manifest', `oci:${layout}:v1`, '--all-platforms'])).code, 3, 'flags of other commands are refused')
  t.equal((await runCli(['manifest', `oci:${layout}:nope`])).code, 6)
})
