import t from 'tap'
import { comparePaths, compareNames, imagePathComponents, tarPathComponents, UnsafePathError } from '../../lib/layer/index.js'

t.test('imagePathComponents', async (t) => {
  t.same(imagePathComponents('/'), [])
  t.same(imagePathComponents('/layers/bp//name/'), ['layers', 'bp', 'name'])
  for (const bad of ['rel', '', '/a/../b', '/a/./b', '/a\0b']) {
    t.throws(() => imagePathComponents(bad), { code: 'ERR_LAYER_INVALID_PATH' }, JSON.stringify(bad))
  }
})

t.test('tarPathComponents accepts ./ forms and refuses escapes', async (t) => {
  t.same(tarPathComponents('./a/b/'), ['a', 'b'])
  t.same(tarPathComponents('a//./b'), ['a', 'b'])
  t.same(tarPathComponents('./'), [])
  t.same(tarPathComponents('..foo/x..'), ['..foo', 'x..'], 'only whole ".." components are special')
  for (const [bad, why] of [['../x', /"\.\."/], ['/abs', /absolute/], ['a/../../x', /"\.\."/], ['a/..', /"\.\."/], ['a\0', /NUL/]] as const) {
    const err = (() => { try { tarPathComponents(bad) } catch (e) { return e } })()
    t.ok(err instanceof UnsafePathError, bad)
    t.equal((err as UnsafePathError).entry, bad)
    t.match((err as Error).message, why)
  }
  t.equal((() => { try { tarPathComponents('../l', 'entry-name') } catch (e) { return (e as UnsafePathError).entry } })(), 'entry-name')
})

t.test('comparePaths: depth-first, byte order per component', async (t) => {
  const paths = ['a.txt', 'a/b', 'a', 'B', '\u{1F600}', '\uFFFD', 'a/b/c', 'a-b', '_']
  const sorted = [...paths].sort(comparePaths)
  t.same(sorted, ['B', '_', 'a', 'a/b', 'a/b/c', 'a-b', 'a.txt', '\uFFFD', '\u{1F600}'])
  // UTF-16 order would put the astral emoji (surrogates D83D..) before U+FFFD; UTF-8 bytes do not.
  t.ok(compareNames('\uFFFD', '\u{1F600}') < 0)
  t.equal(compareNames('x', 'x'), 0)
})
