// lading's own image (stacks/lading-image.ts, `npm run image`): the same digest twice, lading as the entrypoint, and podman running it: `--version`, then a fleet with a path and a git source planned and applied inside the container (--no-sandbox) against the loopback registry; and the three fleet examples in docs/ played as their engines would run them (test/helpers/doc-engines.ts).
import { execFileSync, spawn } from 'node:child_process'
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { makeBaseImages, podmanSession, pushBaseImages, startRegistry, type PodmanSession, type RegistryFixture } from '../../registry-fixtures/index.js'
import { makeLadingImage, type MadeLadingImage } from '../../stacks/lading-image.js'
import { CNB_GID, CNB_UID } from '../../stacks/stack.js'
import { cleanEnv, runBin } from '../helpers/cli.js'
import { actionsJobs, kubernetesPods, tektonTaskRuns, yamlBlocks, type ContainerRun } from '../helpers/doc-engines.js'

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

/** A git daemon on loopback serving every bare repository under `base` (what `git = "https://..."` reaches in the docs). */
async function gitDaemon(base: string): Promise<{ url: string; stop: () => void }> {
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as AddressInfo).port; s.close(() => resolve(p)) })
  })
  const d = spawn('git', ['daemon', '--reuseaddr', '--export-all', `--base-path=${base}`, '--listen=127.0.0.1', `--port=${port}`, base], { stdio: 'ignore' })
  for (let i = 0; i < 50; i++) {
    try { execFileSync('git', ['ls-remote', `git://127.0.0.1:${port}/a.git`], { stdio: 'ignore' }); break } catch { await new Promise((r) => setTimeout(r, 100)) }
  }
  return { url: `git://127.0.0.1:${port}/`, stop: () => d.kill() }
}

t.test('the fleet examples in docs/ run as their engines would run them: every image built by exactly one shard', async (t) => {
  const base = await makeBaseImages(join(work, 'docs-base'))
  await pushBaseImages(base.layout, reg.host)
  const bp = join(work, 'docs-bp')
  mkdirSync(join(bp, 'bin'), { recursive: true })
  writeFileSync(join(bp, 'buildpack.toml'), 'api = "0.10"\n[buildpack]\nid = "docs/tiny"\nversion = "1.0.0"\n[[targets]]\nos = "linux"\n')
  writeFileSync(join(bp, 'bin', 'detect'), '#!/bin/sh\nexit 0\n')
  writeFileSync(join(bp, 'bin', 'build'), '#!/bin/sh\nprintf \'[[processes]]\\ntype = "web"\\ncommand = ["cat", "/workspace/msg.txt"]\\ndefault = true\\n\' >"$CNB_LAYERS_DIR/launch.toml"\n')
  chmodSync(join(bp, 'bin', 'detect'), 0o755)
  chmodSync(join(bp, 'bin', 'build'), 0o755)
  writeFileSync(join(work, 'docs-builder.toml'), `[[buildpacks]]\nuri = "docs-bp"\n[[order]]\n[[order.group]]\nid = "docs/tiny"\n[build]\nimage = "${reg.host}/build:latest"\n[run]\n[[run.images]]\nimage = "${reg.host}/run:v1"\n`)
  const builder = await runBin(['builder', 'create', `${reg.host}/builders/node:latest`, '--config', join(work, 'docs-builder.toml')], cleanEnv())
  t.equal(builder.code, 0, builder.stderr)
  const repos = join(work, 'docs-git')
  for (const n of ['a', 'b']) {
    const src = join(work, `docs-src-${n}`)
    mkdirSync(src)
    git(src, 'init', '-q', '-b', 'main')
    writeFileSync(join(src, 'msg.txt'), `app ${n}\n`)
    git(src, 'add', '.')
    git(src, 'commit', '-qm', 'one')
    git(work, 'clone', '-q', '--bare', src, join(repos, `${n}.git`))
  }
  const daemon = await gitDaemon(repos)
  t.teardown(daemon.stop)
  const dockerConfig = '{"auths": {}}'
  // The docs' hosts become the loopback registry and git daemon; each engine gets its own apps/ path, so each really builds.
  const rewriter = (engine: string) => (s: string) => s.replaceAll('registry.example.com/apps/', `${reg.host}/${engine}/`)
    .replaceAll('registry.example.com/tools/lading:0.1.0', made.ref).replaceAll('registry.example.com', reg.host).replaceAll('https://git.example.com/', daemon.url)
  const k8sDocs = yamlBlocks(readFileSync('docs/fleet-kubernetes.md', 'utf8'))[0]!
  const fleetToml = (engine: string) => rewriter(engine)((k8sDocs.find((d) => d.kind === 'ConfigMap')!.data as Record<string, string>)['fleet.toml']!)
  const tags = (engine: string) => [...fleetToml(engine).matchAll(/^tag = "(.+)"$/gm)].map((m) => m[1]!)

  /** Runs every container at once (the examples' parallelism equals their shard count) and returns each one's fleet report. */
  const play = async (engine: string, runs: ContainerRun[], report: (r: ContainerRun, stdout: string) => string) => {
    t.ok(runs.length >= 2, `${engine}: ${runs.length} containers`)
    const results = await Promise.all(runs.map(async (r) => {
      t.equal(rewriter(engine)(r.image), made.ref, `${engine} ${r.label} runs lading's image`)
      const { image: _, label: __, ...opts } = r
      return { r, out: await podman.run(opts) }
    }))
    const seen: string[] = []
    for (const { r, out } of results) {
      t.equal(out.code, 0, `${engine} ${r.label}: ${out.code === 0 ? 'exit 0' : out.stderr}`)
      const j = JSON.parse(report(r, out.stdout)) as { images: Array<{ tag: string; result: string }> }
      for (const i of j.images) { seen.push(i.tag); t.equal(i.result, 'built', `${engine}: ${i.tag} ${i.result === 'built' ? 'built' : JSON.stringify(i)}`) }
    }
    t.same(seen.sort(), tags(engine).sort(), `${engine}: every image handled by exactly one shard`)
  }

  const k8sDir = join(work, 'docs-k8s')
  const pods = kubernetesPods(k8sDocs, k8sDir, { rewrite: rewriter('k8s'), secrets: { 'registry-auth': { '.dockerconfigjson': dockerConfig } } })
  ownTree(k8sDir)
  await play('k8s', pods, (_, out) => out)

  const tekton = yamlBlocks(readFileSync('docs/fleet-tekton.md', 'utf8'))[0]!
  const source = join(work, 'docs-tekton-source')
  const auth = join(work, 'docs-tekton-auth')
  mkdirSync(source)
  mkdirSync(auth)
  writeFileSync(join(source, 'fleet.toml'), fleetToml('tekton'))
  writeFileSync(join(auth, 'config.json'), dockerConfig)
  ownTree(source)
  ownTree(auth)
  await play('tekton', tektonTaskRuns(tekton, join(work, 'docs-tekton'), { rewrite: rewriter('tekton'), workspaces: { source, 'docker-config': auth } }), (_, out) => out)

  const actionsJob = yamlBlocks(readFileSync('docs/fleet-github-actions.md', 'utf8'))[1]![0]!.apply as Record<string, unknown>
  const checkout = join(work, 'docs-actions-checkout')
  mkdirSync(checkout)
  writeFileSync(join(checkout, 'fleet.toml'), fleetToml('actions'))
  const jobs = actionsJobs(actionsJob, { checkout, secrets: { DOCKER_AUTH_CONFIG: dockerConfig } })
  await play('actions', jobs, (r) => readFileSync(join(checkout, `report-${/"shard":"(\d+)"/.exec(r.label)![1]}.json`), 'utf8'))
})
