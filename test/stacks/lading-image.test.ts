// lading's own image (stacks/lading-image.ts, `npm run image`): the same digest twice, lading as the entrypoint, and podman running it: `--version`, then a fleet with a path and a git source planned and applied inside the container (--no-sandbox) against the loopback registry.
import { execFileSync } from 'node:child_process'
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { makeBaseImages, podmanSession, startRegistry, type PodmanSession, type RegistryFixture } from '../../registry-fixtures/index.js'
import { makeLadingImage, type MadeLadingImage } from '../../stacks/lading-image.js'
import { CNB_GID, CNB_UID } from '../../stacks/stack.js'
import { cleanEnv, runBin } from '../helpers/cli.js'

// The first run builds a Debian root filesystem with mmdebstrap and downloads Node.js; later runs take both from ~/.cache/lading/stacks.
t.setTimeout(1_200_000)
let reg: RegistryFixture
let made: MadeLadingImage
let podman: PodmanSession
const work = mkdtempSync(join(tmpdir(), 'lading-image-'))

t.before(async () => {
  reg = await startRegistry()
  made = await makeLadingImage(`${reg.host}/tools/lading:test`)
  podman = await podmanSession(made.ref)
})
t.teardown(async () => {
  await podman?.close()
  await reg?.stop()
  rmSync(work, { recursive: true, force: true })
})

t.test('npm run image: the same digest again, lading as the entrypoint, Node.js and git recorded', async (t) => {
  const again = await makeLadingImage(made.ref, { skipBundle: true })
  t.equal(again.digest, made.digest, 'same inputs, same digest')
  t.equal(again.transfer.bytesUploaded, 0, 'nothing uploaded the second time')
  const r = await runBin(['config', made.ref], cleanEnv())
  t.equal(r.code, 0, r.stderr)
  const cfg = JSON.parse(r.stdout) as { config: { Entrypoint: string[]; User: string; Labels: Record<string, string> } }
  t.same(cfg.config.Entrypoint, ['/usr/local/bin/lading'])
  t.equal(cfg.config.User, '1000:1000')
  const meta = JSON.parse(cfg.config.Labels['io.lading.image.metadata']!) as { node: { version: string; integrity: string }; packages: string[] }
  t.equal(meta.node.version, made.node.version)
  t.match(meta.node.integrity, /^sha512-/)
  t.ok(meta.packages.some((p) => p.startsWith('git ')), 'git is in the image')
  t.equal(cfg.config.Labels['org.opencontainers.image.version'], made.version)
})

t.test('podman run IMAGE --version', async (t) => {
  const r = await podman.run({ args: ['--version'] })
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, `lading ${made.version}\n`)
})

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.email=t@example.test', '-c', 'user.name=t', ...args], { cwd, encoding: 'utf8' }).trim()

/** A directory the container's CNB user (1000:1000) owns, as a checkout or a ConfigMap would be. */
function ownTree(dir: string): void {
  chownSync(dir, CNB_UID, CNB_GID)
  if (statSync(dir).isDirectory()) for (const n of readdirSync(dir)) ownTree(join(dir, n))
}

t.test('fleet plan and apply in the container: a path and a git source, built with --no-sandbox, against the loopback registry', async (t) => {
  const base = await makeBaseImages(join(work, 'base'))
  t.equal((await runBin(['copy', base.runV1, `${reg.host}/base/run:1`], cleanEnv())).code, 0)
  const fleet = join(work, 'fleet')
  mkdirSync(join(fleet, 'bp', 'bin'), { recursive: true })
  writeFileSync(join(fleet, 'bp', 'buildpack.toml'), 'api = "0.10"\n[buildpack]\nid = "image-test/tiny"\nversion = "1.0.0"\n')
  writeFileSync(join(fleet, 'bp', 'bin', 'detect'), '#!/bin/sh\nexit 0\n')
  writeFileSync(join(fleet, 'bp', 'bin', 'build'), '#!/bin/sh\nprintf \'[[processes]]\\ntype = "web"\\ncommand = ["cat", "/workspace/msg.txt"]\\ndefault = true\\n\' >"$CNB_LAYERS_DIR/launch.toml"\n')
  chmodSync(join(fleet, 'bp', 'bin', 'detect'), 0o755)
  chmodSync(join(fleet, 'bp', 'bin', 'build'), 0o755)
  mkdirSync(join(fleet, 'app'))
  writeFileSync(join(fleet, 'app', 'msg.txt'), 'from a path\n')
  const src = join(work, 'src')
  mkdirSync(src)
  git(src, 'init', '-q', '-b', 'main')
  writeFileSync(join(src, 'msg.txt'), 'from git\n')
  git(src, 'add', '.')
  git(src, 'commit', '-qm', 'one')
  const commit = git(src, 'rev-parse', 'HEAD')
  git(work, 'clone', '-q', '--bare', src, join(fleet, 'repo.git'))
  const a = `${reg.host}/apps/a:1`
  const b = `${reg.host}/apps/b:1`
  writeFileSync(join(fleet, 'fleet.toml'), `[defaults]\nbuildpacks = ["./bp"]\nrun-image = "${reg.host}/base/run:1"\n`
    + `[[images]]\ntag = "${a}"\npath = "./app"\n[[images]]\ntag = "${b}"\ngit = "file:///fleet/repo.git"\nrevision = "main"\n`)
  ownTree(fleet)
  const inContainer = (...args: string[]) => podman.run({ network: 'host', volumes: [`${fleet}:/fleet:ro`], args })

  const plan = await inContainer('fleet', 'plan', '/fleet/fleet.toml', '--json')
  t.equal(plan.code, 0, plan.stderr)
  t.same((JSON.parse(plan.stdout) as { images: Array<{ tag: string; action: string; reasons: string[] }> }).images.map((i) => [i.tag, i.action, i.reasons]),
    [[a, 'build', ['CONFIG']], [b, 'build', ['CONFIG']]])

  const apply = await inContainer('fleet', 'apply', '/fleet/fleet.toml', '--no-sandbox', '--json')
  t.equal(apply.code, 0, apply.code === 0 ? 'apply exits 0' : apply.stderr + apply.stdout)
  t.same((JSON.parse(apply.stdout) as { images: Array<{ tag: string; result: string }> }).images.map((i) => [i.tag, i.result]), [[a, 'built'], [b, 'built']])
  const cfg = JSON.parse((await runBin(['config', b], cleanEnv())).stdout) as { config: { Labels: Record<string, string> } }
  t.match(JSON.parse(cfg.config.Labels['io.buildpacks.project.metadata']!), { source: { type: 'git', version: { commit }, metadata: { repository: 'file:///fleet/repo.git' } } },
    'the commit git fetched in the container is recorded')

  const after = await inContainer('fleet', 'plan', '/fleet/fleet.toml', '--json')
  t.equal(after.code, 0, after.stderr)
  t.same((JSON.parse(after.stdout) as { images: Array<{ action: string }> }).images.map((i) => i.action), ['up-to-date', 'up-to-date'])
})
