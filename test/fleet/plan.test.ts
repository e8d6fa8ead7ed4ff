import t from 'tap'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BuildpackLists, configDigest, labelBuilders, parseFleetText, planFleet, treeDigest, type PlanOptions } from '../../lib/fleet/index.js'
import { fleetWorld, layoutOpener, newRunImages, pushApp, pushRun, writeBp } from '../helpers/fleet-layout.js'

const platform = { os: 'linux', architecture: 'amd64' }

t.test('each reason with its evidence; rebase only when only the run image moved; errors with lines', async (t) => {
  const { dir, runName, apps, tag } = await fleetWorld(t, 'plan')
  const text = `[defaults]\npath = "./src"\nbuildpacks = ["./bp"]\nrun-image = "${runName}"\n` +
    ['fresh', 'stale-run', 'stale-config', 'stale-bp', 'stale-src', 'new', 'trig'].map((n) => `[[images]]\ntag = "${tag(n)}"\n`).join('') +
    `[[images]]\ntag = "${tag('other-run')}"\nrun-image = "oci:${join(dir, 'run')}:other"\n` +
    `[[images]]\ntag = "${tag('no-run')}"\nrun-image = "oci:${join(dir, 'run')}:missing"\n`
  const fleet = parseFleetText(text, join(dir, 'fleet.toml'))
  const config = configDigest(fleet.images[0]!)
  const src = await treeDigest(join(dir, 'src'))
  const v1 = await pushRun(join(dir, 'run'), 'current', 'v1')
  await pushRun(join(dir, 'run'), 'other', 'other')
  const runRepo = `oci:${join(dir, 'run')}`
  const ok = { run: v1, runName, runRepoName: runRepo, buildpacks: [{ id: 'ex/bp', version: '1.0.0' }], fleet: { config, source: src } }
  for (const n of ['fresh', 'stale-run', 'trig']) await pushApp(apps, n, ok)
  await pushApp(apps, 'stale-config', { ...ok, fleet: { config: 'sha256:old', source: src } })
  await pushApp(apps, 'stale-bp', { ...ok, buildpacks: [{ id: 'ex/bp', version: '0.9.0' }, { id: 'ex/gone', version: '1' }] })
  await pushApp(apps, 'stale-src', { ...ok, fleet: { config, source: 'sha256:before' } })
  const otherConfig = configDigest(fleet.images[7]!)
  await pushApp(apps, 'other-run', { ...ok, fleet: { config: otherConfig, source: src } })
  // The run image moves for everything built on `current` except `fresh`, which is rebuilt on v2.
  const v2 = await pushRun(join(dir, 'run'), 'current', 'v2')
  await pushApp(apps, 'fresh', { ...ok, run: v2 })
  const opts: PlanOptions = {
    open: layoutOpener, runImages: newRunImages(), builders: labelBuilders(layoutOpener, platform), buildpacks: new BuildpackLists(dir),
    platform, trigger: new Set([tag('trig')]), concurrency: 3,
  }
  const items = await planFleet(fleet.images, opts)
  const by = Object.fromEntries(items.map((i) => [i.tag.slice(i.tag.lastIndexOf(':') + 1), i]))
  t.match(by['fresh'], { action: 'up-to-date', reasons: [] })
  t.match(by['stale-run'], { action: 'rebase', reasons: ['STACK'], evidence: [{ reason: 'STACK', old: `${runRepo}@${await v1.digest()}`, new: `${runRepo}@${await v2.digest()}` }] })
  t.match(by['stale-config'], { action: 'build', reasons: ['CONFIG', 'STACK'], evidence: [{ reason: 'CONFIG', old: 'sha256:old', new: config }] })
  t.match(by['stale-bp'], { action: 'build', reasons: ['BUILDPACK', 'STACK'], evidence: [{ old: 'ex/bp@0.9.0', new: 'ex/bp@1.0.0' }, { old: 'ex/gone@1', new: 'ex/gone (no longer provided)' }] })
  t.match(by['stale-src'], { action: 'build', reasons: ['COMMIT', 'STACK'], evidence: [{ reason: 'COMMIT', old: 'sha256:before', new: src }] })
  t.match(by['new'], { action: 'build', reasons: ['CONFIG'], evidence: [{ old: '(no image)' }], digest: '' })
  t.match(by['trig'], { action: 'build', reasons: ['STACK', 'TRIGGER'] })
  t.match(by['other-run'], { action: 'build', reasons: ['STACK'] }, 'a run image of another name is rebuilt, not rebased')
  t.match(by['no-run'], { action: 'error', error: { line: 24, message: /fleet\.toml:24: images\[8\] .*cannot read run image .*:missing/ } })
})
