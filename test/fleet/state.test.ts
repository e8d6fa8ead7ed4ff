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
