import t from 'tap'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { applyPlan, BuildpackLists, configDigest, labelBuilders, parseFleetText, planFleet, treeDigest } from '../../lib/fleet/index.js'
import { openLayout } from '../../lib/layout/index.js'
import { fleetWorld, layoutOpener, newRunImages, pushApp, pushRun, writeBp } from '../helpers/fleet-layout.js'

const platform = { os: 'linux', architecture: 'amd64' }

t.test('rebases first, then builds; a failure is one result, moves no tag, and the rest complete', async (t) => {
  const { dir, runName, apps, tag } = await fleetWorld(t, 'apply')
  // `broken` declares a buildpack that does not exist: plan says error, apply says failed.
  const text = `[defaults]\npath = "./src"\nbuildpacks = ["./bp"]\nrun-image = "${runName}"\n` +
    ['ok', 'r1', 'r2', 'new'].map((n) => `[[images]]\ntag = "${tag(n)}"\n`).join('') + `[[images]]\ntag = "${tag('broken')}"\nbuildpacks = ["./nope"]\n`
  const fleet = parseFleetText(text, join(dir, 'fleet.toml'))
  const v1 = await pushRun(join(dir, 'run'), 'current', 'v1')
  const state = { run: v1, runName, runRepoName: `oci:${join(dir, 'run')}`, buildpacks: [{ id: 'ex/bp', version: '1.0.0' }], fleet: { config: configDigest(fleet.images[0]!), source: await treeDigest(join(dir, 'src')) } }
  const r1Before = await pushApp(apps, 'r1', state)
  await pushApp(apps, 'r2', state)
  const v2 = await pushRun(join(dir, 'run'), 'current', 'v2')
  const okDigest = await pushApp(apps, 'ok', { ...state, run: v2 })
  const runImages = newRunImages()
  const deps = { open: layoutOpener, builders: labelBuilders(layoutOpener, platform), buildpacks: new BuildpackLists(dir), platform }
  const plan = await planFleet(fleet.images, { ...deps, runImages })
  t.same(plan.map((p) => p.action), ['up-to-date', 'rebase', 'rebase', 'build', 'error'])
  const order: string[] = []
  // `new` fails when its destination is opened for the push (as a registry refusing it would).
  const { items, summary } = await applyPlan(plan, {
    runImages, concurrency: 2, maxBuilds: 1,
    build: { ...deps, open: async (n, o) => { if (n === tag('new') && o?.create) throw new Error('registry refused the push'); return layoutOpener(n, o) }, gitCache: join(dir, 'git'), cacheHome: join(dir, 'cache'), sandbox: true, network: false },
    onResult: (it) => order.push(`${it.tag.slice(it.tag.lastIndexOf(':') + 1)}:${it.result}`),
  })
  t.same(items.map((i) => i.result), ['unchanged', 'rebased', 'rebased', 'failed', 'failed'])
  t.same(order.slice(0, 2).sort(), ['broken:failed', 'ok:unchanged'], 'nothing to do and plan errors first')
  t.same(order.slice(2, 4).sort(), ['r1:rebased', 'r2:rebased'], 'then rebases')
  t.same(order[4], 'new:failed', 'then builds')
  t.match(items[3]!.failure, { message: /registry refused the push/ })
  t.match(items[4]!.failure, { code: 'ERR_BUILDPACK_NOT_FOUND', message: /fleet\.toml:15: images\[4\] .*buildpack \.\/nope not found/ })
  t.equal(items[0]!.newDigest, okDigest)
  t.not(items[1]!.newDigest, r1Before)
  t.match(summary, { images: 5, built: 0, rebased: 2, unchanged: 1, failed: 2 })
  const repo = await openLayout(apps)
  t.equal(await repo.manifests.resolve('new'), undefined, 'a failed build never tags')
  t.equal((await repo.manifests.resolve('r1'))!.digest, items[1]!.newDigest)
  const again = await planFleet(fleet.images, { ...deps, runImages: newRunImages() })
  t.same(again.map((p) => p.action), ['up-to-date', 'up-to-date', 'up-to-date', 'build', 'error'], 'rebased images are up to date afterwards')
})
