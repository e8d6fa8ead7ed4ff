import t from 'tap'
import { rm } from 'node:fs/promises'
import { sha256 } from '../../../lib/digest/index.js'
import type { Image } from '../../../lib/image/index.js'
import { runCli } from '../../helpers/cli.js'
import { makePlatformLayout } from '../../helpers/platform-layout.js'

let work: string
let layout: string
let single: Image
let arm: Image
let indexDigest: string

t.before(async () => {
  ({ work, layout, single, arm, indexDigest } = await makePlatformLayout('lading-cmd-manifest-'))
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
