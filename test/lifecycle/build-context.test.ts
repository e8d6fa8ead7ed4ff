import t from 'tap'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readBuildpackDescriptor } from '../../lib/buildpack/index.js'
import { CNB_PATHS, createExecution, mapperFor } from '../../lib/lifecycle/build-context.js'
import { prepareBuildDirs } from '../../lib/lifecycle/workspace.js'
import { SAMPLES } from '../../registry-fixtures/index.js'

let work: string
t.before(async () => { work = await mkdtemp(join(tmpdir(), 'lading-ctx-')) })
t.teardown(() => rm(work, { recursive: true, force: true }))

t.test('mapperFor: exact and prefixed paths map; the longest source wins; others pass through', async (t) => {
  const m = mapperFor([['/b', '/workspace'], ['/b/layers', '/layers'], ['/b/layers/x', '/cnb/buildpacks/x/1']])
  t.equal(m('/b'), '/workspace')
  t.equal(m('/b/app.js'), '/workspace/app.js')
  t.equal(m('/b/layers'), '/layers')
  t.equal(m('/b/layers/bp/l'), '/layers/bp/l')
  t.equal(m('/b/layers/x/bin/build'), '/cnb/buildpacks/x/1/bin/build')
  t.equal(m('/bee/x'), '/bee/x', 'a name prefix is not a path prefix')
  t.equal(m('/b/layersX'), '/workspace/layersX')
  t.equal(m('/elsewhere'), '/elsewhere')
  t.equal(m('/b/'), '/workspace/', 'trailing slash kept')
})

t.test('createExecution in the sandbox: a runner, a mapper over every bind, a tmp dir', async (t) => {
  const dirs = await prepareBuildDirs(join(work, 'sb'))
  const bp = await readBuildpackDescriptor(SAMPLES.buildpack('base'))
  const exec = await createExecution({ dirs, buildpacks: [bp], sandbox: true, network: false, uid: 1000, gid: 1000 })
  t.equal(exec.tmpDir, join(dirs.root, 'tmp'))
  t.ok((await stat(exec.tmpDir)).isDirectory())
  t.equal(exec.toContainer(join(dirs.workspace, 'a')), `${CNB_PATHS.workspace}/a`)
  t.equal(exec.toContainer(join(dirs.layers, 'x')), `${CNB_PATHS.layers}/x`)
  t.equal(exec.toContainer(join(dirs.platform, 'env/A')), `${CNB_PATHS.platform}/env/A`)
  t.equal(exec.toContainer(join(exec.tmpDir, 'plan.toml')), `${CNB_PATHS.tmp}/plan.toml`)
  t.equal(exec.toContainer(join(bp.dir, 'bin/build')), `/cnb/buildpacks/lading-test_base/0.0.1/bin/build`)
  t.type(exec.runner.run, 'function')
})

t.test('createExecution without the sandbox insists the build dirs are the CNB paths', async (t) => {
  const dirs = await prepareBuildDirs(join(work, 'nosb'))
  await t.rejects(createExecution({ dirs, buildpacks: [], sandbox: false, network: true, uid: 0, gid: 0 }), { code: 'ERR_NO_SANDBOX_PATHS', message: /\/workspace/ })
  await t.rejects(createExecution({ dirs: { ...dirs, workspace: '/workspace' }, buildpacks: [], sandbox: false, network: true, uid: 0, gid: 0 }), { code: 'ERR_NO_SANDBOX_PATHS', message: /\/layers/ })
})
