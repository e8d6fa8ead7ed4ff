import t from 'tap'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCli } from '../../helpers/cli.js'

t.test('usage: subcommand and REF required; unknown subcommand named; bad builder.toml named', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lading-cmd-builder-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const none = await runCli(['builder'])
  t.equal(none.code, 3)
  t.match(none.stderr, /missing create\|inspect REF/)
  const bad = await runCli(['builder', 'frobnicate', 'x'])
  t.equal(bad.code, 3)
  t.match(bad.stderr, /unknown subcommand "frobnicate"/)
  await writeFile(join(dir, 'builder.toml'), '[[buildpacks]]\nuri = "x"\n')
  const noImage = await runCli(['builder', 'create', `oci:${join(dir, 'out')}:b`, '--config', join(dir, 'builder.toml')])
  t.equal(noImage.code, 4)
  t.match(noImage.stderr, /builder\.toml: no build image: set \[build\] image/)
  const help = await runCli(['builder', '--help'])
  t.match(help.stdout, /builder\.toml/)
})
