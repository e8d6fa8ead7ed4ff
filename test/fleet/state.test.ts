import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { configDigest, encodeFleetRecord, parseFleetText, readImageState, recordedCommit } from '../../lib/fleet/index.js'
import { openLayout } from '../../lib/layout/index.js'
import { pushApp, pushRun } from '../helpers/fleet-layout.js'

const entry = (extra: string) => parseFleetText(`[[images]]\ntag = "r/a"\npath = "./a"\nbuildpacks = ["./bp"]\nrun-image = "r/run:1"\n${extra}`, '/f/fleet.toml').images[0]!

t.test('configDigest: the declaration without cache-image and revision', async (t) => {
  const d = configDigest(entry(''))
  t.match(d, /^sha256:[0-9a-f]{64}$/)
  t.equal(configDigest(entry('cache-image = "r/c"\n')), d, 'cache-image is no reason to rebuild')
  t.not(configDigest(entry('env = { A = "1" }\n')), d)
  t.equal(configDigest(entry('env = { A = "1", B = "2" }\n')), configDigest(entry('env = { B = "2", A = "1" }\n')), 'env order does not matter')
  t.equal(encodeFleetRecord({ config: 'c', builder: { image: 'b', digest: 'd' }, source: 's' }), '{"config":"c","source":"s","builder":{"image":"b","digest":"d"}}')
})

t.test('readImageState reads the labels of a tag; a missing tag is undefined', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lading-fleet-state-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const run = await pushRun(join(dir, 'run'), 'r1', 'v1')
  const project = { source: { type: 'git', version: { commit: 'abc' }, metadata: { repository: 'u' } } }
  const digest = await pushApp(join(dir, 'apps'), 'a', { run, runName: 'oci:x:r1', runRepoName: 'oci:x', buildpacks: [{ id: 'bp', version: '1' }], project, fleet: { config: 'sha256:c', source: 'sha256:s' } })
  const repo = await openLayout(join(dir, 'apps'))
  const s = await readImageState(repo, 'a', { os: 'linux', architecture: 'amd64' })
  t.match(s, { digest, runImage: { image: 'oci:x:r1', reference: `oci:x@${await run.digest()}` }, buildpacks: [{ id: 'bp', version: '1' }], fleet: { config: 'sha256:c', source: 'sha256:s' } })
  t.equal(recordedCommit(s!.project), 'abc')
  t.equal(recordedCommit({}), '')
  t.equal(await readImageState(repo, 'none', { os: 'linux', architecture: 'amd64' }), undefined)
})

t.test('a summary annotation made from this config saves the config read; a stale one is ignored', async (t) => {
  const { encodeStateSummary, STATE_ANNOTATION, stateFromLabels } = await import('../../lib/fleet/index.js')
  const { fetchImage, pushImage } = await import('../../lib/remote/index.js')
  const { withAnnotations, withLabels } = await import('../../lib/image/index.js')
  const dir = await mkdtemp(join(tmpdir(), 'lading-fleet-state-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const run = await pushRun(join(dir, 'run'), 'r1', 'v1')
  await pushApp(join(dir, 'apps'), 'a', { run, runName: 'oci:x:r1', runRepoName: 'oci:x', buildpacks: [{ id: 'bp', version: '1' }], fleet: { config: 'sha256:c' } })
  const repo = await openLayout(join(dir, 'apps'))
  const img = await fetchImage(repo, 'a')
  const labels = (await img.config()).config!.Labels!
  const good = withAnnotations(img, { [STATE_ANNOTATION]: encodeStateSummary((await img.manifest()).config.digest, labels) })
  await pushImage(repo, good, ['good'])
  // The same annotation on an image whose config changed afterwards (as a rebase does).
  const changed = withLabels(good, { [FLEET_LABEL_NAME]: JSON.stringify({ config: 'sha256:new' }) })
  await pushImage(repo, changed, ['stale'])
  let reads = 0
  const counting = { ...repo, name: repo.name, manifests: repo.manifests, tags: repo.tags.bind(repo), blobs: { ...repo.blobs, stat: repo.blobs.stat.bind(repo.blobs), put: repo.blobs.put.bind(repo.blobs), open: (...a: Parameters<typeof repo.blobs.open>) => { reads++; return repo.blobs.open(...a) } } }
  const platform = { os: 'linux', architecture: 'amd64' }
  const s1 = await readImageState(counting, 'good', platform)
  t.equal(reads, 0, 'no config read')
  t.same({ ...s1, digest: undefined }, { ...stateFromLabels(labels), digest: undefined })
  const s2 = await readImageState(counting, 'stale', platform)
  t.equal(reads, 1, 'the config is read when it changed since the summary')
  t.equal(s2!.fleet!.config, 'sha256:new')
})
const FLEET_LABEL_NAME = 'io.buildpacks.lading.fleet'
