import t from 'tap'
import { join } from 'node:path'
import { accumulateBuildLayers, buildEnvForBuildpack, Env, initialBuildEnv } from '../../lib/buildpack/index.js'
import { tempDir, tempTree, writeTree } from './fixtures.js'

t.test('initialBuildEnv keeps only the allow-list', async (t) => {
  const e = initialBuildEnv({
    HOME: '/home/u', SECRET: 'x', PATH: '/usr/bin', https_proxy: 'p', NO_PROXY: 'n', CNB_STACK_ID: 's', AWS_KEY: 'k', CPATH: undefined,
  })
  t.same(e.toRecord(), { HOME: '/home/u', CNB_STACK_ID: 's', https_proxy: 'p', NO_PROXY: 'n', PATH: '/usr/bin' })
})

t.test('accumulateBuildLayers: build layers only, ascending, each prepends', async (t) => {
  const dir = await tempDir(t)
  const bp = join(dir, 'layers/acme_a')
  await writeTree(bp, {
    'aaa.toml': '[types]\nbuild = true',
    'aaa/bin/': '',
    'aaa/env/A_VAR': 'from-aaa',
    'aaa/env.build/B_VAR.default': 'b-default',
    'aaa/env.launch/L_VAR': 'launch-only',
    'bbb.toml': '[types]\nbuild = true',
    'bbb/bin/': '',
    'bbb/lib/': '',
    'bbb/env/A_VAR': 'from-bbb',
    'bbb/env.build/B_VAR': 'b-override',
    'bbb/env.build/PATH.append': '/appended',
    'bbb/env.build/PATH.delim': ':',
    'ccc.toml': '[types]\nlaunch = true',
    'ccc/bin/': '',
    'ccc/env/C_VAR': 'no',
    'ddd.toml': '[types]\nbuild = true',
  })
  const env = new Env({ PATH: '/usr/bin' })
  await accumulateBuildLayers(env, bp, (p) => p.replace(join(dir, 'layers'), '/layers'))
  t.same(env.toRecord(), {
    PATH: '/layers/acme_a/bbb/bin:/layers/acme_a/aaa/bin:/usr/bin:/appended',
    A_VAR: 'from-bbb',
    B_VAR: 'b-override',
    LD_LIBRARY_PATH: '/layers/acme_a/bbb/lib',
    LIBRARY_PATH: '/layers/acme_a/bbb/lib',
  })
})

t.test('buildEnvForBuildpack: platform env, clear-env, build-config, CNB vars', async (t) => {
  const dir = await tempTree(t, '.', {
    'platform/env/PATH': '/plat/bin',
    'platform/env/LD_LIBRARY_PATH': '/plat/lib',
    'platform/env/BP_FOO': 'bar',
    'platform/env/HOME': '/plat-home',
    'platform/env/X.prepend': 'suffix-is-part-of-name',
    'config/env/OP_DEFAULT': 'op',
    'config/env/BP_FOO': 'operator-default-loses',
    'config/env/OP_FORCE.override': 'forced',
    'config/env/PATH.append': ':/cfg/bin',
  })
  const base = new Env({ HOME: '/home', PATH: '/usr/bin' })
  const got = await buildEnvForBuildpack({
    env: base, platformDir: join(dir, 'platform'), buildConfigDir: join(dir, 'config'), clearEnv: false,
    cnbVars: { CNB_PLATFORM_DIR: '/platform', HOME: '/cnb-wins' },
  })
  t.same(got, {
    HOME: '/cnb-wins',
    PATH: '/plat/bin:/usr/bin:/cfg/bin',
    BP_FOO: 'bar',
    LD_LIBRARY_PATH: '/plat/lib',
    'X.prepend': 'suffix-is-part-of-name',
    OP_DEFAULT: 'op',
    OP_FORCE: 'forced',
    CNB_PLATFORM_DIR: '/platform',
  })
  t.same(base.toRecord(), { HOME: '/home', PATH: '/usr/bin' }, 'input env untouched')
  const cleared = await buildEnvForBuildpack({
    env: base, platformDir: join(dir, 'platform'), buildConfigDir: join(dir, 'config'), clearEnv: true, cnbVars: {},
  })
  t.same(cleared, {
    HOME: '/home', PATH: '/usr/bin:/cfg/bin', OP_DEFAULT: 'op', BP_FOO: 'operator-default-loses', OP_FORCE: 'forced',
  })
  const none = await buildEnvForBuildpack({ env: base, platformDir: join(dir, 'nope'), clearEnv: false, cnbVars: {} })
  t.same(none, { HOME: '/home', PATH: '/usr/bin' })
})
