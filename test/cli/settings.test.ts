import t from 'tap'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readSettings, writeSetting } from '../../lib/cli/settings.js'

t.test('settings: missing file is none; set, read, unset; the file is TOML', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lading-settings-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'sub', 'config.toml')
  t.same(await readSettings(file), {})
  await writeSetting('default-builder', 'reg.example/builder:1', file)
  t.same(await readSettings(file), { 'default-builder': 'reg.example/builder:1' })
  t.equal(await readFile(file, 'utf8'), 'default-builder = "reg.example/builder:1"\n')
  await writeSetting('default-builder', undefined, file)
  t.same(await readSettings(file), {})
  await t.rejects(writeSetting('default-builder', ' ', file), { code: 'ERR_USAGE' })
})
