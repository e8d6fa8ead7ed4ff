import t from 'tap'
import { execFileSync } from 'node:child_process'
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { makeBaseImages } from '../../registry-fixtures/index.js'
import { buildItem, BuildpackLists, FLEET_LABEL, labelBuilders, parseFleetText, planFleet, readImageState } from '../../lib/fleet/index.js'
import { openLayout } from '../../lib/layout/index.js'
import { hostPlatform } from '../../lib/oci/index.js'
import { layoutOpener, newRunImages } from '../helpers/fleet-layout.js'
import { fetchImage } from '../../lib/remote/index.js'

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.email=t@example.test', '-c', 'user.name=t', ...args], { cwd, encoding: 'utf8' }).trim()

t.test('a git source is built at the planned commit, recorded as the lifecycle records it, with the fleet label', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lading-fleet-build-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const base = await makeBaseImages(join(dir, 'base'))
  const bp = join(dir, 'bp')
  await mkdir(join(bp, 'bin'), { recursive: true })
  await writeFile(join(bp, 'buildpack.toml'), 'api = "0.10"\n[buildpack]\nid = "fleet-test/cat"\nversion = "1.0.0"\n')
  await writeFile(join(bp, 'bin', 'detect'), '#!/bin/sh\ntest -f msg.txt\n')
  await writeFile(join(bp, 'bin', 'build'), '#!/bin/sh\nprintf \'[[processes]]\\ntype = "web"\\ncommand = ["cat", "/workspace/msg.txt"]\\ndefault = true\\n\' >"$CNB_LAYERS_DIR/launch.toml"\n')
  await chmod(join(bp, 'bin', 'detect'), 0o755)
  await chmod(join(bp, 'bin', 'build'), 0o755)
  const src = join(dir, 'src')
  await mkdir(src)
  git(src, 'init', '-q', '-b', 'main')
  await writeFile(join(src, 'msg.txt'), 'from git\n')
  git(src, 'add', '.')
  git(src, 'commit', '-qm', 'one')
  const commit = git(src, 'rev-parse', 'HEAD')
  const out = join(dir, 'out')
  const fleet = parseFleetText(`[[images]]\ntag = "oci:${out}:app"\ngit = "file://${src}"\nrevision = "main"\nbuildpacks = ["./bp"]\nrun-image = "${base.runV1}"\n` +
    `[[images]]\ntag = "oci:${out}:b"\npath = "./src"\nbuilder = "oci:${out}:nobuilder"\nrun-image = "${base.runV1}"\n`, join(dir, 'fleet.toml'))
  const platform = hostPlatform()
  const deps = { open: layoutOpener, builders: labelBuilders(layoutOpener, platform), buildpacks: new BuildpackLists(dir), platform }
  const [item] = await planFleet(fleet.images.slice(0, 1), { ...deps, runImages: newRunImages() })
  t.equal(item!.commit, commit, JSON.stringify(item!.error))
  const build = { ...deps, gitCache: join(dir, 'git'), cacheHome: join(dir, 'cache'), sandbox: true, network: false }
  const digest = await buildItem(item!, build)
  const repo = await openLayout(out)
  t.equal((await repo.manifests.resolve('app'))!.digest, digest, 'the tag points at the labelled image')
  const state = await readImageState(repo, 'app', platform)
  t.same(state!.project, { source: { type: 'git', version: { commit }, metadata: { repository: `file://${src}`, revision: 'main' } } })
  t.equal(state!.fleet!.config, item!.config)
  const labels = (await (await fetchImage(repo, 'app')).config()).config!.Labels!
  t.ok(labels[FLEET_LABEL])
  await t.rejects(buildItem({ ...item!, entry: fleet.images[1]!, builder: { image: 'x', digest: 'd', buildpacks: [], runImage: '' }, runImage: base.runV1 }, build),
    { code: 'ERR_FLEET_BUILDER', message: /needs lading's builder support/ })
  t.equal(await repo.manifests.resolve('b'), undefined)
})
