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
  work = await mkdtemp(join(tmpdir(), 'lading-cmd-config-'))
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

t.test('prints the config blob exactly as stored', async (t) => {
  const r = await runCli(['config', `oci:${layout}:v1`])
  t.equal(r.code, 0, r.stderr)
  t.same(r.stdoutBytes, Buffer.from(await single.rawConfig()))
  t.equal(sha256(r.stdoutBytes), (await single.manifest()).config.digest)
  t.equal(JSON.parse(r.stdout).rootfs.type, 'layers')
})

t.test('an index is narrowed to --platform', async (t) => {
  const r = await runCli(['config', `oci:${layout}:multi`, '--platform', 'linux/arm64/v8'])
  t.equal(r.code, 0, r.stderr)
  t.same(r.stdoutBytes, Buffer.from(await arm.rawConfig()))
  t.equal(JSON.parse(r.stdout).architecture, 'arm64')
  const amd64 = await runCli(['config', `oci:${layout}:multi`, '--platform', 'linux/amd64'])
  t.same(amd64.stdoutBytes, Buffer.from(await amd.rawConfig()))
  const none = await runCli(['config', `oci:${layout}:multi`, '--platform', 'linux/ppc64le'])
  t.equal(none.code, 4)
  t.match(none.stderr, /available: linux\/amd64, linux\/arm64\/v8/)
})

t.test('usage and not-found errors', async (t) => {
  t.equal((await runCli(['config'])).code, 3)
  t.equal((await runCli(['config', 'a', 'b'])).code, 3)
  t.equal((await runCli(['config', `oci:${layout}:v1`, '--platform', 'linux/'])).code, 3)
  t.equal((await runCli(['config', `oci:${layout}:v1`, '--json'])).code, 0, '--json is global; the config is JSON already')
  t.equal((await runCli(['config', `oci:${join(work, 'none')}`])).code, 6)
})
