import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startRegistry, type RegistryFixture } from '../../../registry-fixtures/index.js'
import { openLayout } from '../../../lib/layout/index.js'
import { parseReference } from '../../../lib/oci/index.js'
import { createRegistryClient } from '../../../lib/registry/index.js'
import { pushImage } from '../../../lib/remote/index.js'
import { runCli } from '../../helpers/cli.js'
import { randomImage } from '../../helpers/random.js'

let work: string
let reg: RegistryFixture

t.before(async () => {
  work = await mkdtemp(join(tmpdir(), 'lading-cmd-tags-'))
  reg = await startRegistry({ variant: 'http' })
})
t.teardown(async () => {
  await reg?.stop()
  await rm(work, { recursive: true, force: true })
})

t.test('lists a layout\'s tags one a line, or as a JSON array; a tag in REPO is ignored', async (t) => {
  const dir = join(work, 'l')
  const repo = await openLayout(dir, { create: true })
  const img = await randomImage(1, 64)
  await pushImage(repo, img, ['v1', 'v2'])
  await pushImage(repo, await randomImage(1, 64), ['latest'])
  const r = await runCli(['tags', `oci:${dir}`])
  t.equal(r.code, 0, r.stderr)
  t.same(r.stdout.split('\n').filter(Boolean).sort(), ['latest', 'v1', 'v2'])
  const withTag = await runCli(['tags', `oci:${dir}:v1`])
  t.equal(withTag.stdout, r.stdout)
  const json = await runCli(['tags', `oci:${dir}`, '--json'])
  t.same(JSON.parse(json.stdout).sort(), ['latest', 'v1', 'v2'])
  t.equal(json.stdout.split('\n').length, 2, 'one JSON document, one line')
  const empty = join(work, 'empty')
  await openLayout(empty, { create: true })
  t.equal((await runCli(['tags', `oci:${empty}`, '--json'])).stdout, '[]\n')
  t.equal((await runCli(['tags', `oci:${empty}`])).stdout, '')
})

t.test('lists a registry repository\'s tags', async (t) => {
  const client = createRegistryClient({})
  t.teardown(() => client.close())
  const repo = client.repository(parseReference(`${reg.host}/team/app`))
  const img = await randomImage(1, 64)
  const names = Array.from({ length: 12 }, (_, i) => `t${String(i).padStart(2, '0')}`)
  await pushImage(repo, img, names)
  const r = await runCli(['tags', `${reg.host}/team/app:ignored`])
  t.equal(r.code, 0, r.stderr)
  t.same(r.stdout.trim().split('\n').sort(), names)
  const json = await runCli(['tags', `${reg.host}/team/app`, '--json'])
  t.same(JSON.parse(json.stdout).sort(), names)
  const missing = await runCli(['tags', `${reg.host}/no/such`])
  t.equal(missing.code, 6, missing.stderr)
})

t.test('usage errors', async (t) => {
  t.equal((await runCli(['tags'])).code, 3)
  t.equal((await runCli(['tags', 'a', 'b'])).code, 3)
  t.equal((await runCli(['tags', 'a', '--platform', 'linux/amd64'])).code, 3)
  t.equal((await runCli(['tags', `oci:${join(work, 'absent')}`])).code, 6)
})
