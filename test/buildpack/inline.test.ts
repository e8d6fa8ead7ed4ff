import t from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { readBuildpackDescriptor, writeInlineBuildpack } from '../../lib/buildpack/index.js'

const source = { file: '/app/project.toml', key: 'io.buildpacks.group[1]' }

t.test('an inline buildpack is a valid buildpack dir whose build runs the script under its shell', async (t) => {
  const parent = t.testdir()
  const script = 'echo "args: $*"\necho "script: ${0##*/}"\nprintf %s "$MSG" > "$1/out"'
  const dir = await writeInlineBuildpack(parent, { id: 'acme/inline', version: '1.2.3', script: { api: '0.10', inline: script, shell: 'sh' } }, source)
  t.equal(dir, join(parent, 'acme_inline', '1.2.3'))
  const d = await readBuildpackDescriptor(dir)
  t.equal(d.id, 'acme/inline')
  t.equal(d.version, '1.2.3')
  t.equal(d.api, '0.10')
  t.ok(d.targets.some((x) => x.os === 'linux'), 'runs on linux (inferred from bin/build)')
  for (const f of ['detect', 'build', 'inline-script']) t.equal(statSync(join(dir, 'bin', f)).mode & 0o777, 0o755, f)
  t.equal(spawnSync(join(dir, 'bin', 'detect')).status, 0, 'detect always passes')
  const layers = join(parent, 'layers')
  mkdirSync(layers)
  const r = spawnSync(join(dir, 'bin', 'build'), [layers, '/platform', '/plan.toml'], { env: { PATH: '/usr/bin:/bin', MSG: 'hi' }, encoding: 'utf8' })
  t.equal(r.status, 0, r.stderr)
  t.equal(r.stdout, `args: ${layers} /platform /plan.toml\nscript: inline-script\n`)
  t.equal(readFileSync(join(layers, 'out'), 'utf8'), 'hi')
})

t.test('no version: 0.0.0; a failing script fails the build with its status', async (t) => {
  const parent = t.testdir()
  const dir = await writeInlineBuildpack(parent, { id: 'x', script: { api: '0.10', inline: 'exit 7', shell: '/bin/sh' } }, source)
  t.equal(dir, join(parent, 'x', '0.0.0'))
  t.equal(spawnSync(join(dir, 'bin', 'build'), [parent, '/p', '/q']).status, 7)
})

t.test('bad input names project.toml and the key, and writes nothing', async (t) => {
  const parent = t.testdir()
  const bad: [Parameters<typeof writeInlineBuildpack>[1], RegExp][] = [
    [{ id: 'bad@id', script: { api: '0.10', inline: 'true', shell: 'sh' } }, /project\.toml.*io\.buildpacks\.group\[1\]\.id.*contains "@"/],
    [{ id: 'sbom', script: { api: '0.10', inline: 'true', shell: 'sh' } }, /reserved/],
    [{ id: 'ok', script: { api: '0.10', inline: 'true', shell: 'sh; rm -rf /' } }, /group\[1\]\.script\.shell.*not a plain command/],
    [{ id: 'ok', script: { api: '0.10', inline: '  \n', shell: 'sh' } }, /group\[1\]\.script\.inline.*empty/],
  ]
  for (const [bp, message] of bad) {
    await t.rejects(writeInlineBuildpack(parent, bp, source), { code: 'ERR_BUILDPACK_DESCRIPTOR', message })
  }
  t.same(readdirSync(parent), [])
})
