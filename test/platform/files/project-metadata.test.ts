import t from 'tap'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeProjectMetadata, parseProjectMetadata, readProjectMetadataFile } from '../../../lib/platform/index.js'

const TEXT = '[source]\ntype = "git"\n[source.version]\ncommit = "abc123"\n[source.metadata]\nrepository = "https://example.test/app"\n'

t.test('parses the §9.4 shape into the label value', async (t) => {
  const md = parseProjectMetadata(TEXT)
  t.same(md, { source: { type: 'git', version: { commit: 'abc123' }, metadata: { repository: 'https://example.test/app' } } })
  t.equal(encodeProjectMetadata(md), '{"source":{"type":"git","version":{"commit":"abc123"},"metadata":{"repository":"https://example.test/app"}}}')
})

t.test('all fields optional', async (t) => {
  t.same(parseProjectMetadata(''), {})
  t.same(parseProjectMetadata('[source]\n'), { source: { type: '', version: {}, metadata: {} } })
  t.throws(() => parseProjectMetadata('[source]\ntype = 1\n', 'pm.toml'), { message: /pm\.toml: key "source\.type": must be a string/ })
  t.throws(() => parseProjectMetadata('source = 1\n', 'pm.toml'), { message: /key "source": must be a table/ })
})

t.test('readProjectMetadataFile: missing file is {}', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lading-pm-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  t.same(await readProjectMetadataFile(join(dir, 'none.toml')), {})
  await writeFile(join(dir, 'pm.toml'), TEXT)
  t.equal((await readProjectMetadataFile(join(dir, 'pm.toml'))).source?.type, 'git')
})
