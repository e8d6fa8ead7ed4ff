import t from 'tap'
import { rm } from 'node:fs/promises'
import type { Image } from '../../../lib/image/index.js'
import { MediaTypes } from '../../../lib/oci/index.js'
import { runCli } from '../../helpers/cli.js'
import { makePlatformLayout } from '../../helpers/platform-layout.js'

let work: string
let layout: string
let single: Image
let amd: Image
let arm: Image
let indexDigest: string

t.before(async () => {
  ({ work, layout, single, amd, arm, indexDigest } = await makePlatformLayout('lading-cmd-digest-'))
})
t.teardown(() => rm(work, { recursive: true, force: true }))

t.test('prints the digest of the bytes; of the index unless --platform picks an image', async (t) => {
  const r = await runCli(['digest', `oci:${layout}:v1`])
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, `${await single.digest()}\n`)
  t.equal((await runCli(['digest', `oci:${layout}:multi`])).stdout, `${indexDigest}\n`)
  t.equal((await runCli(['digest', `oci:${layout}:multi`, '--platform', 'linux/amd64'])).stdout, `${await amd.digest()}\n`)
  t.equal((await runCli(['digest', `oci:${layout}:multi`, '--platform', 'linux/arm64/v8'])).stdout, `${await arm.digest()}\n`)
  const byDigest = await runCli(['digest', `oci:${layout}:${await single.digest()}`])
  t.equal(byDigest.stdout, r.stdout)
})

t.test('--json: reference, digest, media type and size', async (t) => {
  const r = await runCli(['digest', `oci:${layout}:multi`, '--json'])
  t.equal(r.code, 0, r.stderr)
  const out = JSON.parse(r.stdout)
  t.same(Object.keys(out), ['reference', 'digest', 'mediaType', 'size'])
  t.same(out, { reference: `oci:${layout}:multi`, digest: indexDigest, mediaType: MediaTypes.OCI_INDEX, size: out.size })
  t.ok(out.size > 0)
  const narrowed = JSON.parse((await runCli(['digest', `oci:${layout}:multi`, '--json', '--platform', 'linux/arm64'])).stdout)
  t.same(narrowed, { reference: `oci:${layout}:multi`, digest: await arm.digest(), mediaType: MediaTypes.OCI_MANIFEST, size: (await arm.rawManifest()).length })
})

t.test('errors: usage 3, not found 6, no platform 4', async (t) => {
  t.equal((await runCli(['digest'])).code, 3)
  t.equal((await runCli(['digest', 'a', 'b'])).code, 3)
  t.equal((await runCli(['digest', `oci:${layout}:v1`, '--platform', 'bad'])).code, 3)
  t.equal((await runCli(['digest', `oci:${layout}:missing`])).code, 6)
  t.equal((await runCli(['digest', `oci:${layout}:multi`, '--platform', 'linux/s390x'])).code, 4)
  const badRef = await runCli(['digest', 'not a ref'])
  t.equal(badRef.code, 4)
  t.match(badRef.stderr, /invalid reference/)
})
