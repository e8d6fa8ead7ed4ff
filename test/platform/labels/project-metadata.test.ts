import t from 'tap'
import { decodeProjectMetadata, encodeProjectMetadata } from '../../../lib/platform/index.js'

t.test('{} when there is no project metadata', async (t) => {
  t.equal(encodeProjectMetadata(undefined), '{}')
  t.equal(encodeProjectMetadata({}), '{}')
  t.same(decodeProjectMetadata('{}'), { value: {}, warnings: [] })
})

t.test('source round-trips with sorted maps', async (t) => {
  const md = { source: { type: 'git', version: { commit: 'abc' }, metadata: { url: 'u', branch: 'main' } } }
  const enc = encodeProjectMetadata(md)
  t.equal(enc, '{"source":{"type":"git","version":{"commit":"abc"},"metadata":{"branch":"main","url":"u"}}}')
  t.same(decodeProjectMetadata(enc).value, md)
})

t.test('lenient and strict parts', async (t) => {
  const { value, warnings } = decodeProjectMetadata('{"source":{"type":7}}')
  t.same(value, { source: { type: '', version: {}, metadata: {} } })
  t.match(warnings, [/source\.type should be a string/])
  t.throws(() => decodeProjectMetadata('[1]'), { code: 'ERR_LABEL_INVALID', label: 'io.buildpacks.project.metadata' })
})
