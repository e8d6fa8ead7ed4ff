import t from 'tap'
import { join } from 'node:path'
import { applyEnvDir, applyEnvOp, applyRootDirs, Env, readEnvDir, rootDirOps } from '../../lib/buildpack/index.js'
import { tempTree } from './fixtures.js'

t.test('Env keeps order and copies independently', async (t) => {
  const e = new Env({ B: '1', A: '2', U: undefined })
  e.set('C', '3')
  e.set('B', '4')
  t.same(e.entries(), [['B', '4'], ['A', '2'], ['C', '3']])
  const c = e.clone()
  c.delete('A')
  t.ok(e.has('A'))
  t.notOk(c.has('A'))
  t.same(new Env([['X', 'y']]).toRecord(), { X: 'y' })
})

t.test('applyEnvOp table', async (t) => {
  const cases: [string, string | undefined, Parameters<typeof applyEnvOp>[1], string][] = [
    ['override set', 'old', { op: 'override', name: 'V', value: 'new', delim: '' }, 'new'],
    ['default on empty', '', { op: 'default', name: 'V', value: 'd', delim: '' }, 'd'],
    ['default on unset', undefined, { op: 'default', name: 'V', value: 'd', delim: '' }, 'd'],
    ['default keeps', 'x', { op: 'default', name: 'V', value: 'd', delim: '' }, 'x'],
    ['prepend', 'b', { op: 'prepend', name: 'V', value: 'a', delim: ':' }, 'a:b'],
    ['prepend empty delim', 'b', { op: 'prepend', name: 'V', value: 'a', delim: '' }, 'ab'],
    ['prepend to unset', undefined, { op: 'prepend', name: 'V', value: 'a', delim: ':' }, 'a'],
    ['append', 'a', { op: 'append', name: 'V', value: 'b', delim: ',' }, 'a,b'],
    ['append to empty', '', { op: 'append', name: 'V', value: 'b', delim: ',' }, 'b'],
  ]
  for (const [name, before, op, want] of cases) {
    const e = new Env(before === undefined ? {} : { V: before })
    applyEnvOp(e, op)
    t.equal(e.get('V'), want, name)
  }
})

t.test('readEnvDir / applyEnvDir suffix rules', async (t) => {
  const dir = await tempTree(t, '.', {
    'env/PATH.prepend': '/opt/bin',
    'env/CP.append': 'b.jar',
    'env/CP.delim': ':',
    'env/PLAIN': 'raw value\n',
    'env/DEF.default': 'd',
    'env/OVR.override': 'o',
    'env/WEIRD.suffix': 'ignored',
    'env/sub/NESTED': 'ignored',
    'cfg/X': 'x-default',
    'cfg/Y.override': 'y',
  })
  const ops = await readEnvDir(join(dir, 'env'), { defaultSuffix: 'override' })
  t.same(ops, [
    { op: 'append', name: 'CP', value: 'b.jar', delim: ':' },
    { op: 'default', name: 'DEF', value: 'd', delim: '' },
    { op: 'override', name: 'OVR', value: 'o', delim: '' },
    { op: 'prepend', name: 'PATH', value: '/opt/bin', delim: '' },
    { op: 'override', name: 'PLAIN', value: 'raw value\n', delim: '' },
  ])
  const e = new Env({ PATH: '/usr/bin', CP: 'a.jar', DEF: 'keep' })
  await applyEnvDir(e, join(dir, 'env'), { defaultSuffix: 'override' })
  t.equal(e.get('PATH'), '/opt/bin/usr/bin', 'no .delim means an empty delimiter')
  t.equal(e.get('CP'), 'a.jar:b.jar')
  t.equal(e.get('DEF'), 'keep')
  t.equal(e.get('PLAIN'), 'raw value\n', 'contents are raw, untrimmed')
  const c = new Env({ X: 'set' })
  await applyEnvDir(c, join(dir, 'cfg'), { defaultSuffix: 'default' })
  t.equal(c.get('X'), 'set', 'no suffix = default for build-config')
  t.equal(c.get('Y'), 'y')
  t.same(await readEnvDir(join(dir, 'missing'), { defaultSuffix: 'override' }), [])
})

t.test('root dirs: build vs launch, only existing dirs', async (t) => {
  const dir = await tempTree(t, '.', { 'l/bin/': '', 'l/lib/': '', 'l/include/': '', 'l/pkgconfig/': '', 'm/bin/': '' })
  const build = new Env({ PATH: '/usr/bin' })
  await applyRootDirs(build, join(dir, 'l'), 'build')
  t.same(build.toRecord(), {
    PATH: `${dir}/l/bin:/usr/bin`, LD_LIBRARY_PATH: `${dir}/l/lib`, LIBRARY_PATH: `${dir}/l/lib`,
    CPATH: `${dir}/l/include`, PKG_CONFIG_PATH: `${dir}/l/pkgconfig`,
  })
  const launch = await rootDirOps(join(dir, 'l'), 'launch', (p) => p.replace(dir, '/layers'))
  t.same(launch, [
    { op: 'prepend', name: 'PATH', value: '/layers/l/bin', delim: ':' },
    { op: 'prepend', name: 'LD_LIBRARY_PATH', value: '/layers/l/lib', delim: ':' },
  ])
  t.same(await rootDirOps(join(dir, 'm'), 'build'), [{ op: 'prepend', name: 'PATH', value: `${dir}/m/bin`, delim: ':' }])
  t.same(await rootDirOps(join(dir, 'none'), 'build'), [])
})
