import t from 'tap'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseGroup, readGroupFile, stringifyGroup, type GroupEntry } from '../../../lib/platform/index.js'

const GROUP: GroupEntry[] = [
  { id: 'acme/node', version: '2.1.0', api: '0.10', homepage: 'https://example.test/node' },
  { id: 'acme/procfile', version: '0.3.0', api: '0.10' },
]

t.test('writes the spec shape, byte for byte', async (t) => {
  t.equal(stringifyGroup(GROUP), [
    '[[group]]', 'id = "acme/node"', 'version = "2.1.0"', 'api = "0.10"', 'homepage = "https://example.test/node"', '',
    '[[group]]', 'id = "acme/procfile"', 'version = "0.3.0"', 'api = "0.10"', '',
  ].join('\n'))
  t.equal(stringifyGroup(GROUP), stringifyGroup(structuredClone(GROUP)))
})

t.test('round-trips, including extensions', async (t) => {
  const ext: GroupEntry[] = [{ id: 'acme/ext', version: '1.0.0', api: '0.10', extension: true }]
  const parsed = parseGroup(stringifyGroup(GROUP, ext))
  t.same(parsed.group, GROUP)
  t.same(parsed.groupExtensions, ext)
  t.notMatch(stringifyGroup([{ id: 'a', version: '1', api: '0.9', homepage: '' }]), /homepage/, 'empty homepage omitted')
})

const BAD: Array<[string, string, RegExp]> = [
  ['missing api', '[[group]]\nid = "a"\nversion = "1"\n', /g\.toml: key "group\[0\]\.api": is required/],
  ['bad version type', '[[group]]\nid = "a"\nversion = 1\napi = "0.10"\n', /"group\[0\]\.version": must be a string/],
  ['bad extension type', '[[group-extensions]]\nid = "a"\nversion = "1"\napi = "0.10"\nextension = 1\n', /group-extensions\[0\]\.extension/],
]
for (const [name, text, re] of BAD) {
  t.test(`rejects: ${name}`, async (t) => {
    t.throws(() => parseGroup(text, 'g.toml'), { code: 'ERR_PLATFORM_FILE_INVALID', message: re })
  })
}

t.test('readGroupFile', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lading-group-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const p = join(dir, 'group.toml')
  await writeFile(p, stringifyGroup(GROUP))
  t.same((await readGroupFile(p)).group, GROUP)
})
