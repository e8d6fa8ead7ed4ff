import t from 'tap'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { appendLayers, imageFromParts, layerFromBytes, withConfig, withLabels } from '../../../lib/image/index.js'
import { openLayout } from '../../../lib/layout/index.js'
import { emptyLayersMetadata, encodeLifecycleMetadata, LABELS } from '../../../lib/platform/index.js'
import { pushImage } from '../../../lib/remote/index.js'
import { runCli } from '../../helpers/cli.js'

let dir: string
let app: string
t.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lading-cli-rebase-'))
  const runRepo = await openLayout(join(dir, 'run'), { create: true })
  const appRepo = await openLayout(join(dir, 'app'), { create: true })
  const run = (v: string) => imageFromParts({
    config: { Labels: { 'io.buildpacks.stack.id': 'st', 'io.buildpacks.base.id': `base-${v}` } },
    layers: [layerFromBytes(Buffer.from(`${v}-os`))],
  })
  const v1 = run('v1')
  await pushImage(runRepo, v1, ['current'])
  const md = emptyLayersMetadata()
  md.runImage = { topLayer: (await v1.config()).rootfs.diff_ids.at(-1)!, reference: `${runRepo.name}@${await v1.digest()}`, image: `${runRepo.name}:current`, mirrors: [] }
  const img = withConfig(appendLayers(v1, { layer: layerFromBytes(Buffer.from('app')) }), (c) => ({
    ...c, config: { ...c.config, Env: ['CNB_PLATFORM_API=0.13'], Labels: { ...c.config?.Labels, [LABELS.LIFECYCLE_METADATA]: encodeLifecycleMetadata(md) } },
  }))
  await pushImage(appRepo, img, ['1', '2'])
  await pushImage(appRepo, withLabels(img, { [LABELS.REBASABLE]: 'false' }), ['frozen'])
  await pushImage(runRepo, run('v2'), ['current'])
  app = `oci:${join(dir, 'app')}`
})
t.teardown(() => rm(dir, { recursive: true, force: true }))

t.test('usage errors exit 3', async (t) => {
  for (const argv of [['rebase'], ['rebase', 'a', 'b', '--tag', 'c'], ['rebase', 'a', '--concurrency', '0'], ['rebase', '--from', join(dir, 'nope.txt')]]) {
    const r = await runCli(argv)
    t.equal(r.code, 3, argv.join(' '))
    t.match(r.stderr, /error: /)
  }
})

t.test('dry run, rebase, --tag, then up to date', async (t) => {
  const dry = await runCli(['rebase', `${app}:1`, '--dry-run'])
  t.equal(dry.code, 0, dry.stderr)
  t.match(dry.stdout, /:1: would rebase [0-9a-f]{12} → [0-9a-f]{12}: old base oci:.*run@sha256:[0-9a-f]{64} \(1 layers\) → new base oci:.*run@sha256:[0-9a-f]{64} \(1 layers\); would upload .* copied from another registry/)
  const r = await runCli(['rebase', `${app}:1`, '--tag', `${app}:extra`, '--json'])
  t.equal(r.code, 0, r.stderr)
  const out = JSON.parse(r.stdout)
  t.equal(out.images[0].status, 'rebased')
  t.equal(out.summary.rebased, 1)
  t.ok(out.images[0].bytes.uploaded > 0)
  const d = await runCli(['digest', `${app}:extra`])
  t.equal(d.stdout.trim(), out.images[0].newDigest, '--tag points at the result')
  const again = await runCli(['rebase', `${app}:1`])
  t.match(again.stdout, /:1: up to date/)
})

t.test('a refused single image exits 71; in a fleet it is skipped, and a failure exits non-zero', async (t) => {
  const one = await runCli(['rebase', `${app}:frozen`])
  t.equal(one.code, 71)
  t.match(one.stdout, /frozen: skipped: .*rebasable.*--force/)
  const list = join(dir, 'list.txt')
  await writeFile(list, `# images\n${app}:2   # trailing comment\n\n${app}:frozen\n`)
  const fleet = await runCli(['rebase', '--from', list, '--concurrency', '2'])
  t.equal(fleet.code, 0, 'skipped is not a failure')
  t.match(fleet.stdout, /2 image\(s\): 1 rebased, 0 up to date, 1 skipped, 0 failed/)
  const bad = await runCli(['rebase', '--from', list, `${app}:missing`, '--json'])
  t.not(bad.code, 0)
  const out = JSON.parse(bad.stdout)
  t.equal(out.summary.failed, 1)
  t.equal(out.images.find((i: { image: string }) => i.image.endsWith(':missing')).status, 'failed')
})
