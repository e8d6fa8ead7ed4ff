import t from 'tap'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import TOML from '@iarna/toml'
import {
  parseMetadataToml, readMetadataToml, stringifyMetadataToml, type BuildMetadataToml,
} from '../../../lib/platform/index.js'

const MD: BuildMetadataToml = {
  buildpackDefaultProcessType: 'web',
  buildpacks: [
    { id: 'acme/node', version: '2.1.0', api: '0.10', homepage: 'https://example.test/node' },
    { id: 'acme/procfile', version: '0.3.0', api: '0.9' },
  ],
  processes: [
    { type: 'web', command: ['node', 'server.js'], args: ['--port', '8080'], direct: true, buildpackId: 'acme/node', workingDir: '/workspace/api' },
    { type: 'worker', command: ['node'], args: [], direct: true, buildpackId: 'acme/procfile' },
  ],
  labels: [{ key: 'org.example.runtime', value: 'node' }],
  slices: [{ paths: ['public/**'] }],
}

t.test('writes the §3.7 shape', async (t) => {
  const text = stringifyMetadataToml(MD)
  t.ok(text.startsWith('buildpack-default-process-type = "web"\n\n[[buildpacks]]\nid = "acme/node"\nversion = "2.1.0"\napi = "0.10"\nhomepage = "https://example.test/node"\n'))
  t.match(text, '[[processes]]\ntype = "web"\ncommand = [ "node", "server.js" ]\nargs = [ "--port", "8080" ]\ndirect = true\nbuildpack-id = "acme/node"\nworking-dir = "/workspace/api"\n')
  t.match(text, '[[processes]]\ntype = "worker"\ncommand = [ "node" ]\nargs = [ ]\ndirect = true\nbuildpack-id = "acme/procfile"\n\n')
  t.match(text, '[[labels]]\nkey = "org.example.runtime"\nvalue = "node"\n\n[[slices]]\npaths = [ "public/**" ]\n')
  t.notMatch(text, /default = /, 'no per-process default flag')
  // Independent reader: the generic TOML parser sees the keys the Go launcher reads.
  const raw = TOML.parse(text) as any
  t.same(raw.processes[0]['buildpack-id'], 'acme/node')
  t.equal(raw.processes[1]['working-dir'], undefined, 'working-dir omitted when unset')
})

t.test('round-trips and is byte-stable', async (t) => {
  const text = stringifyMetadataToml(MD)
  t.same(parseMetadataToml(text), MD)
  t.equal(stringifyMetadataToml(parseMetadataToml(text)), text)
})

t.test('minimal: no processes, labels, slices or default', async (t) => {
  const md: BuildMetadataToml = { buildpacks: [{ id: 'a', version: '1', api: '0.10' }], processes: [], labels: [], slices: [] }
  const text = stringifyMetadataToml(md)
  t.equal(text, '[[buildpacks]]\nid = "a"\nversion = "1"\napi = "0.10"\n')
  t.same(parseMetadataToml(text), md)
})

t.test('extensions are written after slices when present', async (t) => {
  const text = stringifyMetadataToml({ ...MD, extensions: [{ id: 'x', version: '1', api: '0.10' }] })
  t.match(text, /\[\[slices\]\][^]*\[\[extensions\]\]\nid = "x"/)
  t.same(parseMetadataToml(text).extensions, [{ id: 'x', version: '1', api: '0.10' }])
})

t.test('reads Platform < 0.10 string commands', async (t) => {
  const md = parseMetadataToml('[[processes]]\ntype = "web"\ncommand = "node server.js"\ndirect = false\nbuildpack-id = "a"\n')
  t.same(md.processes, [{ type: 'web', command: ['node server.js'], args: [], direct: false, buildpackId: 'a' }])
})

const BAD: Array<[string, string, RegExp]> = [
  ['process without type', '[[processes]]\ncommand = ["a"]\n', /m\.toml: key "processes\[0\]\.type": is required/],
  ['empty command', '[[processes]]\ntype = "web"\ncommand = []\n', /key "processes\[0\]\.command": must be a non-empty array/],
  ['bad args', '[[processes]]\ntype = "web"\ncommand = ["a"]\nargs = "x"\n', /key "processes\[0\]\.args": must be an array/],
  ['label without key', '[[labels]]\nvalue = "v"\n', /key "labels\[0\]\.key": is required/],
  ['buildpack without api', '[[buildpacks]]\nid = "a"\nversion = "1"\n', /key "buildpacks\[0\]\.api": is required/],
]
for (const [name, text, re] of BAD) {
  t.test(`rejects: ${name}`, async (t) => {
    t.throws(() => parseMetadataToml(text, 'm.toml'), { code: 'ERR_PLATFORM_FILE_INVALID', message: re })
  })
}

t.test('readMetadataToml', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lading-md-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await writeFile(join(dir, 'metadata.toml'), stringifyMetadataToml(MD))
  t.same(await readMetadataToml(join(dir, 'metadata.toml')), MD)
})
