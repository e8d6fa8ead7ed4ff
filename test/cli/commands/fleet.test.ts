import t from 'tap'
import { execFileSync } from 'node:child_process'
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { makeBaseImages, pushBaseImages, startRegistry, type BaseImages, type RegistryFixture } from '../../../registry-fixtures/index.js'
import { runCli } from '../../helpers/cli.js'
import { writeShBuildpack } from '../../helpers/sh-buildpacks.js'

let work: string
let base: BaseImages
let reg: RegistryFixture

/** A one-file buildpack: copies the app's msg.txt into a launch layer; version as given. */
async function writeBuildpack(dir: string, version: string, failing = false): Promise<void> {
  await mkdir(join(dir, 'bin'), { recursive: true })
  await writeFile(join(dir, 'buildpack.toml'), `api = "0.10"\n[buildpack]\nid = "fleet-test/copy"\nversion = "${version}"\n[[targets]]\nos = "linux"\n`)
  await writeFile(join(dir, 'bin', 'detect'), '#!/bin/sh\nexit 0\n')
  await writeFile(join(dir, 'bin', 'build'), `#!/bin/sh
set -eu
${failing ? 'echo "fleet-test: failing on purpose" >&2; exit 1' : ''}
mkdir -p "$CNB_LAYERS_DIR/msg"
cp msg.txt "$CNB_LAYERS_DIR/msg/msg.txt"
printf '[types]\\nlaunch = true\\n' >"$CNB_LAYERS_DIR/msg.toml"
printf '[[processes]]\\ntype = "web"\\ncommand = ["cat", "/layers/fleet-test_copy/msg/msg.txt"]\\ndefault = true\\n' >"$CNB_LAYERS_DIR/launch.toml"
`)
  await chmod(join(dir, 'bin', 'detect'), 0o755)
  await chmod(join(dir, 'bin', 'build'), 0o755)
}

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.email=t@example.test', '-c', 'user.name=t', ...args], { cwd, encoding: 'utf8' }).trim()

t.before(async () => {
  work = await mkdtemp(join(tmpdir(), 'lading-cmd-fleet-'))
  // The git cache and unpacked builders live under ~/.cache/lading: a fresh home per run.
  process.env.HOME = join(work, 'home')
  base = await makeBaseImages(join(work, 'base'))
  reg = await startRegistry({ variant: 'http' })
  await writeBuildpack(join(work, 'bp'), '1.0.0')
  await writeBuildpack(join(work, 'bp-fail'), '1.0.0', true)
  for (const a of ['a', 'b', 'c']) {
    await mkdir(join(work, 'apps', a), { recursive: true })
    await writeFile(join(work, 'apps', a, 'msg.txt'), `hello from ${a}\n`)
  }
  const src = join(work, 'git-src')
  await mkdir(src)
  git(src, 'init', '-q', '-b', 'main')
  await writeFile(join(src, 'msg.txt'), 'hello from git 1\n')
  git(src, 'add', '.')
  git(src, 'commit', '-qm', 'one')
  const r = await runCli(['copy', base.runV1, `${reg.host}/base/run:1`])
  t.equal(r.code, 0, r.stderr)
})
t.teardown(async () => {
  await reg?.stop()
  await rm(work, { recursive: true, force: true })
})

function fleetToml(extra = ''): string {
  return `[defaults]
buildpacks = ["./bp"]
run-image = "${reg.host}/base/run:1"
env = { GREETING = "hi" }

[[images]]
tag = "${reg.host}/apps/a:latest"
path = "./apps/a"

[[images]]
tag = "${reg.host}/apps/b:latest"
path = "./apps/b"
env = { EXTRA = "1" }
cache-image = "${reg.host}/apps/b-cache:latest"

[[images]]
tag = "${reg.host}/apps/g:latest"
git = "file://${join(work, 'git-src')}"
revision = "main"
${extra}`
}

const json = (s: string) => JSON.parse(s) as { images: Array<Record<string, any>>; summary: Record<string, number> }

t.test('plan, apply, apply again: nothing to do; then COMMIT, STACK → rebase, a failure that moves no tag', async (t) => {
  const file = join(work, 'fleet.toml')
  await writeFile(file, fleetToml())
  const p1 = await runCli(['fleet', 'plan', file, '--json', '--no-sandbox'])
  t.equal(p1.code, 0, p1.stderr)
  const plan1 = json(p1.stdout)
  t.same(plan1.images.map((i) => [i.action, i.reasons]), [['build', ['CONFIG']], ['build', ['CONFIG']], ['build', ['CONFIG']]])
  t.match(plan1.images[2], { commit: /^[0-9a-f]{40}$/ })

  const a1 = await runCli(['fleet', 'apply', file, '--json', '--max-builds', '2'])
  t.equal(a1.code, 0, a1.stderr)
  const apply1 = json(a1.stdout)
  t.same(apply1.images.map((i) => i.result), ['built', 'built', 'built'], a1.stderr)
  for (const i of apply1.images) t.match(i.newDigest, /^sha256:/)
  t.match(apply1.summary, { built: 3, failed: 0 })

  const cfg = await runCli(['config', `${reg.host}/apps/g:latest`])
  const labels = JSON.parse(cfg.stdout).config.Labels
  const project = JSON.parse(labels['io.buildpacks.project.metadata'])
  t.same(project.source.type, 'git')
  t.equal(project.source.version.commit, plan1.images[2]!.commit)
  t.equal(project.source.metadata.repository, `file://${join(work, 'git-src')}`)
  t.ok(labels['io.buildpacks.lading.fleet'], 'the fleet record is on the image')

  const a2 = await runCli(['fleet', 'apply', file, '--json'])
  t.equal(a2.code, 0, a2.stderr)
  t.same(json(a2.stdout).images.map((i) => [i.action, i.result]), [['up-to-date', 'unchanged'], ['up-to-date', 'unchanged'], ['up-to-date', 'unchanged']], 'an apply right after an apply has nothing to do')

  // The source of b changes, git moves on, the run image gets a new digest.
  await writeFile(join(work, 'apps', 'b', 'msg.txt'), 'hello from b, v2\n')
  await writeFile(join(work, 'git-src', 'msg.txt'), 'hello from git 2\n')
  git(join(work, 'git-src'), 'commit', '-qam', 'two')
  // A patched run image: the same base plus one layer (same distro, so a rebase is allowed).
  await mkdir(join(work, 'patch'), { recursive: true })
  await writeFile(join(work, 'patch', 'security-fix'), 'patched\n')
  const r = await runCli(['append', base.runV1, `${reg.host}/base/run:1`, '--layer', `${join(work, 'patch')}:/etc/patch`])
  t.equal(r.code, 0, r.stderr)
  const p3 = await runCli(['fleet', 'plan', file])
  t.equal(p3.code, 0, p3.stderr)
  t.match(p3.stdout, /apps\/a:latest: rebase \(STACK\): STACK .* → /)
  t.match(p3.stdout, /apps\/b:latest: build \(COMMIT, STACK\): COMMIT /)
  t.match(p3.stdout, /apps\/g:latest: build \(COMMIT, STACK\): COMMIT [0-9a-f]{40} → [0-9a-f]{40}/)
  t.match(p3.stdout, /3 image\(s\): 2 to build, 1 to rebase, 0 up to date, 0 in error/)

  const a3 = await runCli(['fleet', 'apply', file])
  t.equal(a3.code, 0, a3.stderr)
  t.match(a3.stdout, /apps\/a:latest: rebased /)
  t.match(a3.stdout, /apps\/b:latest: built /)
  t.match(a3.stdout, /3 image\(s\): 2 built, 1 rebased, 0 unchanged, 0 failed/)
  const a4 = await runCli(['fleet', 'apply', file, '--json'])
  t.same(json(a4.stdout).images.map((i) => i.result), ['unchanged', 'unchanged', 'unchanged'])

  // A new buildpack version: BUILDPACK for all; one image fails its build and keeps its tag.
  await writeBuildpack(join(work, 'bp'), '1.1.0')
  const failing = `${fleetToml()}\n[[images]]\ntag = "${reg.host}/apps/c:latest"\npath = "./apps/c"\nbuildpacks = ["./bp-fail"]\n`
  await writeFile(file, failing)
  const before = await runCli(['digest', `${reg.host}/apps/a:latest`])
  const a5 = await runCli(['fleet', 'apply', file, '--json', '--max-builds', '2'])
  t.equal(a5.code, 1, 'non-zero when an image failed')
  const apply5 = json(a5.stdout)
  t.same(apply5.images.map((i) => [i.reasons, i.result]), [
    [['BUILDPACK'], 'built'], [['BUILDPACK'], 'built'], [['BUILDPACK'], 'built'], [['CONFIG'], 'failed'],
  ])
  t.match(apply5.images[0]!.evidence, [{ reason: 'BUILDPACK', old: 'fleet-test/copy@1.0.0', new: 'fleet-test/copy@1.1.0' }])
  t.not(apply5.images[0]!.newDigest, before.stdout.trim())
  const c = await runCli(['digest', `${reg.host}/apps/c:latest`])
  t.not(c.code, 0, 'the failed image was never tagged')

  // A run image of another distro version: plan says rebase, the lifecycle's checks refuse it, apply builds instead.
  t.equal((await runCli(['copy', base.runV2, `${reg.host}/base/run:1`])).code, 0)
  const p6 = json((await runCli(['fleet', 'plan', file, '--json'])).stdout)
  t.same(p6.images.map((i) => i.action), ['rebase', 'rebase', 'rebase', 'build'])
  const a6 = await runCli(['fleet', 'apply', file, '--json'])
  const apply6 = json(a6.stdout)
  t.same(apply6.images.map((i) => i.result), ['built', 'built', 'built', 'failed'])
  t.match(apply6.images[0], { rebuiltBecause: /distro\.version/ })
  t.same(json((await runCli(['fleet', 'plan', file, '--json'])).stdout).images.map((i) => i.action), ['up-to-date', 'up-to-date', 'up-to-date', 'build'])
})

t.test('TRIGGER, errors per image with the line, usage', async (t) => {
  const file = join(work, 'fleet-err.toml')
  await writeFile(file, `[defaults]\nbuildpacks = ["./bp"]\nrun-image = "${reg.host}/base/run:1"\n\n[[images]]\ntag = "${reg.host}/apps/a:latest"\npath = "./apps/a"\n\n[[images]]\ntag = "${reg.host}/apps/missing:1"\npath = "./apps/nope"\n\n[[images]]\ntag = "${reg.host}/apps/nobuilder:1"\npath = "./apps/a"\nbuilder = "${reg.host}/builders/none:1"\n`)
  const p = await runCli(['fleet', 'plan', file, '--json', '--trigger', `${reg.host}/apps/a:latest`])
  t.equal(p.code, 1)
  const items = json(p.stdout).images
  t.match(items[0], { action: 'build', reasons: ['CONFIG', 'TRIGGER'] })
  t.match(items[1], { action: 'error', error: { line: 11, message: /fleet-err\.toml:11: images\[1\] \(.*apps\/missing:1\): missing source: path \.\/apps\/nope/ } })
  t.match(items[2], { action: 'error', error: { line: 16, message: /fleet-err\.toml:16: images\[2\] .*cannot read builder/ } })

  await writeFile(file, `[[images]]\ntag = "a/b:1"\npath = "."\nbuildpacks = ["./bp"]\nrun-image = "r/run:1"\nbulider = "x"\n`)
  const bad = await runCli(['fleet', 'plan', file])
  t.equal(bad.code, 4)
  t.match(bad.stderr, /fleet-err\.toml:6: images\[0\] \(a\/b:1\): unknown key "bulider"/)
  for (const argv of [['fleet'], ['fleet', 'show', file], ['fleet', 'plan'], ['fleet', 'plan', file, '--shard', '3/3'], ['fleet', 'apply', file, '--max-builds', '0']]) {
    const r = await runCli(argv)
    t.equal(r.code, 3, argv.join(' '))
  }
  const help = await runCli(['fleet', '--help'])
  t.match(help.stdout, /--shard K\/N/)
})

t.test('builder entries: built through the builder; a new buildpack version in the builder is BUILDPACK', async (t) => {
  await pushBaseImages(base.layout, reg.host)
  const makeBuilder = async (version: string) => {
    await writeShBuildpack(join(work, 'bbp'), 'fleet-test/bb', version, `hello from bb ${version}`)
    await writeFile(join(work, 'builder.toml'), `[[buildpacks]]\nuri = "bbp"\n[[order]]\n[[order.group]]\nid = "fleet-test/bb"\n[build]\nimage = "${reg.host}/build:latest"\n[run]\n[[run.images]]\nimage = "${reg.host}/run:v1"\n`)
    const r = await runCli(['builder', 'create', `${reg.host}/builders/b:1`, '--config', join(work, 'builder.toml')])
    t.equal(r.code, 0, r.stderr)
  }
  await makeBuilder('1.0.0')
  const file = join(work, 'fleet-builder.toml')
  await writeFile(file, `[defaults]\nbuilder = "${reg.host}/builders/b:1"\n\n[[images]]\ntag = "${reg.host}/apps/bb:latest"\npath = "./apps/a"\n`)
  const p1 = await runCli(['fleet', 'plan', file, '--json'])
  t.equal(p1.code, 0, p1.stderr)
  t.match(json(p1.stdout).images[0], { action: 'build', reasons: ['CONFIG'], runImage: `${reg.host}/run:v1`, builder: { image: `${reg.host}/builders/b:1`, buildpacks: [{ id: 'fleet-test/bb', version: '1.0.0' }] } })
  const a1 = await runCli(['fleet', 'apply', file, '--json'])
  t.equal(a1.code, 0, a1.stderr)
  t.match(json(a1.stdout).images[0], { result: 'built' })
  const p2 = await runCli(['fleet', 'plan', file, '--json'])
  t.match(json(p2.stdout).images[0], { action: 'up-to-date' })
  await makeBuilder('1.1.0')
  const p3 = await runCli(['fleet', 'plan', file, '--json'])
  t.match(json(p3.stdout).images[0], { action: 'build', reasons: ['BUILDPACK'], evidence: [{ reason: 'BUILDPACK', old: 'fleet-test/bb@1.0.0', new: 'fleet-test/bb@1.1.0' }] })
  const a2 = await runCli(['fleet', 'apply', file, '--json'])
  t.equal(a2.code, 0, a2.stderr)
  t.match(json(a2.stdout).images[0], { result: 'built' })
  const p4 = await runCli(['fleet', 'plan', file, '--json'])
  t.match(json(p4.stdout).images[0], { action: 'up-to-date' })
})
