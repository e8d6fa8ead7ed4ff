import t from 'tap'
import { rm } from 'node:fs/promises'
import { sha256 } from '../../../lib/digest/index.js'
import type { Image } from '../../../lib/image/index.js'
import { join } from 'node:path'
import { runCli } from '../../helpers/cli.js'
import { makePlatformLayout } from '../../helpers/platform-layout.js'

let work: string
let layout: string
let single: Image
let amd: Image
let arm: Image

t.before(async () => {
  ({ work, layout, single, amd, arm } = await makePlatformLayout('lading-cmd-config-'))
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
  t.equal((await runCli(['config'])).code, 0, 'no argument: lists the settings (none is fine)')
  t.equal((await runCli(['config', 'a', 'b'])).code, 3)
  t.equal((await runCli(['config', `oci:${layout}:v1`, '--platform', 'linux/'])).code, 3)
  t.equal((await runCli(['config', `oci:${layout}:v1`, '--json'])).code, 0, '--json is global; the config is JSON already')
  t.equal((await runCli(['config', `oci:${join(work, 'none')}`])).code, 6)
})

t.test('settings: config default-builder REF sets it, config lists it, --unset removes it; a REF still prints a config', async (t) => {
  const { mkdtemp } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const conf = await mkdtemp(join(tmpdir(), 'lading-xdg-'))
  const before = process.env.XDG_CONFIG_HOME
  process.env.XDG_CONFIG_HOME = conf
  t.teardown(async () => {
    if (before === undefined) delete process.env.XDG_CONFIG_HOME
    else process.env.XDG_CONFIG_HOME = before
    await rm(conf, { recursive: true, force: true })
  })
  t.equal((await runCli(['config'])).stdout, '')
  t.equal((await runCli(['config', 'default-builder', 'reg.example/builder:1'])).code, 0)
  t.equal((await runCli(['config'])).stdout, 'default-builder = reg.example/builder:1\n')
  t.same(JSON.parse((await runCli(['config', '--json'])).stdout), { 'default-builder': 'reg.example/builder:1' })
  t.equal((await runCli(['config', 'default-builder'])).stdout, 'reg.example/builder:1\n')
  t.equal((await runCli(['config', 'default-builder', '--unset'])).code, 0)
  t.match((await runCli(['config', 'default-builder'])).stderr, /not set/)
  const r = await runCli(['config', `oci:${layout}:v1`])
  t.equal(r.code, 0, r.stderr)
})
