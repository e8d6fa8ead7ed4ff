import t from 'tap'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCli } from '../../helpers/cli.js'
import { writeShBuildpack } from '../../helpers/sh-buildpacks.js'

t.test('package to an OCI layout and a .cnb file (same digest), then inspect both', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lading-cmd-buildpack-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await writeShBuildpack(join(dir, 'bp'), 'acme/a', '1.0.0', 'a')
  await writeFile(join(dir, 'package.toml'), '[buildpack]\nuri = "bp"\n')
  const img = await runCli(['buildpack', 'package', `oci:${join(dir, 'layout')}:a`, '--config', join(dir, 'package.toml'), '--json'])
  t.equal(img.code, 0, img.stderr)
  const file = await runCli(['buildpack', 'package', join(dir, 'a.cnb'), '--config', join(dir, 'package.toml'), '--json'])
  t.equal(file.code, 0, file.stderr)
  t.equal(JSON.parse(file.stdout).digest, JSON.parse(img.stdout).digest)
  for (const ref of [`oci:${join(dir, 'layout')}:a`, join(dir, 'a.cnb')]) {
    const i = await runCli(['buildpack', 'inspect', ref])
    t.equal(i.code, 0, i.stderr)
    t.match(i.stdout, /Inspecting buildpack: 'acme\/a@1\.0\.0'/)
    t.match(i.stdout, /  ID\s+NAME\s+VERSION\s+HOMEPAGE\n  acme\/a\s+acme\/a \(test\)\s+1\.0\.0\s+https:\/\/example\.test\/acme\/a/)
  }
  const json = JSON.parse((await runCli(['buildpack', 'inspect', join(dir, 'a.cnb'), '--output', 'json'])).stdout)
  t.equal(json.buildpack_name, 'acme/a@1.0.0')
  const bad = await runCli(['buildpack', 'package', join(dir, 'x'), '--config', join(dir, 'package.toml'), '--format', 'zip'])
  t.equal(bad.code, 3)
  t.match(bad.stderr, /--format must be image or file/)
})
