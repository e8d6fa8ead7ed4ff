import t from 'tap'
import { applyEnvOps, Env, launchEnvOps, launchProfileScripts } from '../../lib/buildpack/index.js'
import { tempTree } from './fixtures.js'

t.test('launchEnvOps orders ops as the launcher applies them', async (t) => {
  const layers = await tempTree(t, 'layers', {
    'acme_a/one.toml': '[types]\nlaunch = true',
    'acme_a/one/bin/': '',
    'acme_a/one/env/V': 'a-one',
    'acme_a/one/env.launch/W.default': 'w-a',
    'acme_a/one/env.launch/web/V': 'a-one-web',
    'acme_a/two.toml': '[types]\nlaunch = true',
    'acme_a/two/bin/': '',
    'acme_a/two/lib/': '',
    'acme_a/two/include/': '',
    'acme_a/two/env/V': 'a-two',
    'acme_a/build-only.toml': '[types]\nbuild = true',
    'acme_a/build-only/bin/': '',
    'acme_a/reused.toml': '[types]\nlaunch = true',
    'acme_b/z.toml': '[types]\nlaunch = true\ncache = true',
    'acme_b/z/env.launch/W.default': 'w-b',
    'acme_b/z/env.launch/P.prepend': 'pre',
    'acme_b/z/env.launch/P.delim': ',',
  })
  const toImage = (p: string): string => p.replace(layers, '/layers')
  const ops = await launchEnvOps({ layersDir: layers, group: [{ id: 'acme/a' }, { id: 'acme/b' }], processType: 'web', toImagePath: toImage })
  t.same(ops, [
    { op: 'prepend', name: 'PATH', value: '/layers/acme_a/one/bin', delim: ':' },
    { op: 'prepend', name: 'PATH', value: '/layers/acme_a/two/bin', delim: ':' },
    { op: 'prepend', name: 'LD_LIBRARY_PATH', value: '/layers/acme_a/two/lib', delim: ':' },
    { op: 'override', name: 'V', value: 'a-one', delim: '' },
    { op: 'default', name: 'W', value: 'w-a', delim: '' },
    { op: 'override', name: 'V', value: 'a-one-web', delim: '' },
    { op: 'override', name: 'V', value: 'a-two', delim: '' },
    { op: 'prepend', name: 'P', value: 'pre', delim: ',' },
    { op: 'default', name: 'W', value: 'w-b', delim: '' },
  ])
  const env = new Env({ PATH: '/usr/bin', P: 'x' })
  applyEnvOps(env, ops)
  t.equal(env.get('PATH'), '/layers/acme_a/two/bin:/layers/acme_a/one/bin:/usr/bin')
  t.equal(env.get('V'), 'a-two', 'later layer name wins an override')
  t.equal(env.get('W'), 'w-a', 'earliest default wins')
  t.equal(env.get('P'), 'pre,x')

  const worker = await launchEnvOps({ layersDir: layers, group: [{ id: 'acme/a' }], processType: 'worker' })
  t.notOk(worker.some((o) => o.value === 'a-one-web'))
  t.same(await launchEnvOps({ layersDir: layers, group: [{ id: 'acme/missing' }] }), [])

  const all = await launchEnvOps({ layersDir: layers, group: [{ id: 'acme/a' }, { id: 'acme/b' }], toImagePath: toImage })
  t.same(all.find((x) => x.value === 'a-one-web'), { op: 'override', name: 'V', value: 'a-one-web', delim: '', process: 'web' })
  t.same(all.filter((x) => x.process === undefined || x.process === 'web').map(({ process: _p, ...rest }) => rest), ops,
    'filtering the all-types ops gives the per-type ops')
})

t.test('launchProfileScripts lists profile.d files in launcher order', async (t) => {
  const layers = await tempTree(t, 'layers', {
    'acme_a/l2.toml': '[types]\nlaunch = true',
    'acme_a/l2/profile.d/b.sh': 'b',
    'acme_a/l1.toml': '[types]\nlaunch = true',
    'acme_a/l1/profile.d/z.sh': 'z',
    'acme_a/l1/profile.d/a.sh': 'a',
    'acme_a/l1/profile.d/web/w.sh': 'w',
    'acme_a/cacheonly.toml': '[types]\ncache = true',
    'acme_a/cacheonly/profile.d/no.sh': 'no',
    'acme_b/x.toml': '[types]\nlaunch = true',
    'acme_b/x/profile.d/x.sh': 'x',
  })
  const got = await launchProfileScripts({ layersDir: layers, group: [{ id: 'acme/a' }, { id: 'acme/b' }], toImagePath: (p) => p.replace(layers, '/layers') })
  t.same(got, [
    { path: '/layers/acme_a/l1/profile.d/a.sh' },
    { path: '/layers/acme_a/l1/profile.d/z.sh' },
    { path: '/layers/acme_a/l1/profile.d/web/w.sh', process: 'web' },
    { path: '/layers/acme_a/l2/profile.d/b.sh' },
    { path: '/layers/acme_b/x/profile.d/x.sh' },
  ])
})
