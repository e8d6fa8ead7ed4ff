import t from 'tap'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCli } from '../../helpers/cli.js'
import { writeComposite, writeShBuildpack } from '../../helpers/sh-buildpacks.js'

t.test("pack's tree for nested composites with optional markers; --output formats; bad --output", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lading-cmd-inspect-mod-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await writeShBuildpack(join(dir, 'a'), 'acme/a', '1.0.0', 'a')
  await writeShBuildpack(join(dir, 'b'), 'acme/b', '1.0.0', 'b')
  await writeComposite(join(dir, 'inner'), 'acme/inner', '1.0.0', [{ id: 'acme/a', version: '1.0.0' }, { id: 'acme/b', version: '1.0.0', optional: true }])
  await writeComposite(join(dir, 'outer'), 'acme/outer', '1.0.0', [{ id: 'acme/inner', version: '1.0.0' }])
  await writeFile(join(dir, 'package.toml'), '[buildpack]\nuri = "outer"\n[[dependencies]]\nuri = "inner"\n[[dependencies]]\nuri = "a"\n[[dependencies]]\nuri = "b"\n')
  const p = await runCli(['buildpack', 'package', join(dir, 'o.cnb'), '--config', join(dir, 'package.toml')])
  t.equal(p.code, 0, p.stderr)
  const human = await runCli(['buildpack', 'inspect', join(dir, 'o.cnb')])
  t.match(human.stdout, `Detection Order:
 └ Group #1:
    └ acme/outer@1.0.0
       └ Group #1:
          └ acme/inner@1.0.0
             └ Group #1:
                ├ acme/a@1.0.0
                └ acme/b@1.0.0    (optional)
`)
  const yaml = await runCli(['buildpack', 'inspect', join(dir, 'o.cnb'), '--output', 'yaml'])
  t.match(yaml.stdout, /buildpack_name: acme\/outer@1\.0\.0/)
  const toml = await runCli(['buildpack', 'inspect', join(dir, 'o.cnb'), '--output', 'toml'])
  t.match(toml.stdout, /buildpack_name = "acme\/outer@1\.0\.0"/)
  const bad = await runCli(['buildpack', 'inspect', join(dir, 'o.cnb'), '--output', 'xml'])
  t.equal(bad.code, 3)
})
