import t from 'tap'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseProject, readProjectFile } from '../../../lib/platform/index.js'

const V02 = `
[_]
schema-version = "0.2"
id = "io.example.app"
name = "Example"
version = "1.0.2"
source-url = "https://example.test/src"

[io.buildpacks]
builder = "example/builder"
include = ["src/**", "package.json"]

[[io.buildpacks.group]]
id = "acme/node"
version = "2.1.0"

[[io.buildpacks.group]]
uri = "./buildpacks/local"

[[io.buildpacks.pre.group]]
id = "acme/pre"

[[io.buildpacks.post.group]]
id = "acme/post"
version = "0.1.0"

[[io.buildpacks.build.env]]
name = "NODE_ENV"
value = "production"

[[io.buildpacks.build.env]]
name = "EMPTY"
value = ""
`

const V01 = `
[project]
id = "io.example.app"
name = "Example"
version = "0.1"

[build]
exclude = ["*.md"]

[[build.buildpacks]]
id = "acme/node"
version = "2.1.0"

[[build.buildpacks]]
uri = "../bp"

[[build.env]]
name = "A"
value = "1"

[[build.env]]
name = "A"
value = "2"

[metadata]
anything = "goes"
`

t.test('schema 0.2', async (t) => {
  t.same(parseProject(V02), {
    schemaVersion: '0.2', id: 'io.example.app', name: 'Example', version: '1.0.2', sourceUrl: 'https://example.test/src',
    builder: 'example/builder', include: ['src/**', 'package.json'],
    buildpacks: [{ id: 'acme/node', version: '2.1.0' }, { uri: './buildpacks/local' }],
    pre: [{ id: 'acme/pre' }], post: [{ id: 'acme/post', version: '0.1.0' }],
    env: { NODE_ENV: 'production', EMPTY: '' }, warnings: [],
  })
})

t.test('schema 0.1 (legacy [project] + [build])', async (t) => {
  t.same(parseProject(V01), {
    schemaVersion: '0.1', id: 'io.example.app', name: 'Example', version: '0.1', exclude: ['*.md'],
    buildpacks: [{ id: 'acme/node', version: '2.1.0' }, { uri: '../bp' }], pre: [], post: [],
    env: { A: '2' }, warnings: [],
  })
  t.equal(parseProject('[_]\nschema-version = "0.1"\n[project]\nname = "x"\n').name, 'x', 'explicit 0.1')
})

t.test('empty and minimal files', async (t) => {
  t.same(parseProject(''), { schemaVersion: '0.1', buildpacks: [], pre: [], post: [], env: {}, warnings: [] })
  t.same(parseProject('[_]\nschema-version = "0.2"\n'), { schemaVersion: '0.2', buildpacks: [], pre: [], post: [], env: {}, warnings: [] })
})

t.test('tables of the other schema are ignored with a warning', async (t) => {
  const a = parseProject('[_]\nschema-version = "0.2"\n[[build.buildpacks]]\nid = "x"\n', 'p.toml')
  t.same(a.buildpacks, [])
  t.match(a.warnings, [/p\.toml: \[project\]\/\[build\] tables are ignored/])
  const b = parseProject('[[io.buildpacks.group]]\nid = "x"\n', 'p.toml')
  t.same(b.buildpacks, [])
  t.match(b.warnings, [/\[io\.buildpacks\] is ignored/])
})

t.test('inline buildpacks (script)', async (t) => {
  const p = parseProject('[_]\nschema-version = "0.2"\n[[io.buildpacks.group]]\nid = "me/inline"\n[io.buildpacks.group.script]\napi = "0.10"\ninline = "echo hi"\n')
  t.same(p.buildpacks, [{ id: 'me/inline', script: { api: '0.10', inline: 'echo hi', shell: '/bin/sh' } }])
  const q = parseProject('[[build.buildpacks]]\nid = "x"\n[build.buildpacks.script]\napi = "0.9"\ninline = "true"\nshell = "/bin/bash"\n')
  t.same(q.buildpacks[0]!.script, { api: '0.9', inline: 'true', shell: '/bin/bash' })
})

const BAD: Array<[string, string, RegExp]> = [
  ['script without id', '[[build.buildpacks]]\nuri = "x"\n[build.buildpacks.script]\napi = "0.9"\ninline = "true"\n',
    /key "build\.buildpacks\[0\]\.id": is required for an inline buildpack/],
  ['script without api', '[[build.buildpacks]]\nid = "x"\n[build.buildpacks.script]\ninline = "true"\n',
    /key "build\.buildpacks\[0\]\.script\.api": is required/],
  ['include and exclude (0.2)', '[_]\nschema-version = "0.2"\n[io.buildpacks]\ninclude = ["a"]\nexclude = ["b"]\n',
    /p\.toml: key "io\.buildpacks\.include": cannot be combined with "io\.buildpacks\.exclude"/],
  ['include and exclude (0.1)', '[build]\ninclude = ["a"]\nexclude = ["b"]\n', /key "build\.include": cannot be combined with "build\.exclude"/],
  ['unknown schema', '[_]\nschema-version = "0.3"\n', /key "_\.schema-version": unsupported schema version "0\.3"/],
  ['schema not a string', '[_]\nschema-version = 2\n', /key "_\.schema-version": must be a string/],
  ['buildpack without id or uri', '[[build.buildpacks]]\nversion = "1"\n', /key "build\.buildpacks\[0\]": a buildpack needs an "id" or a "uri"/],
  ['env without value', '[_]\nschema-version = "0.2"\n[[io.buildpacks.build.env]]\nname = "A"\n', /key "io\.buildpacks\.build\.env\[0\]\.value": is required/],
  ['env value not string', '[[build.env]]\nname = "A"\nvalue = 1\n', /key "build\.env\[0\]\.value": must be a string/],
  ['include not array', '[build]\ninclude = "src"\n', /key "build\.include": must be an array of strings/],
  ['include item not string', '[build]\ninclude = [1]\n', /key "build\.include\[0\]": must be a string/],
  ['bad toml', '[_\n', /invalid TOML/],
]
for (const [name, text, re] of BAD) {
  t.test(`rejects: ${name}`, async (t) => {
    t.throws(() => parseProject(text, 'p.toml'), { code: 'ERR_PLATFORM_FILE_INVALID', message: re })
  })
}

t.test('readProjectFile: missing file is undefined, present file parsed', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lading-project-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  t.equal(await readProjectFile(join(dir, 'project.toml')), undefined)
  await writeFile(join(dir, 'project.toml'), V02)
  t.equal((await readProjectFile(join(dir, 'project.toml')))?.schemaVersion, '0.2')
  await writeFile(join(dir, 'bad.toml'), '[build]\ninclude = ["a"]\nexclude = ["b"]\n')
  await t.rejects(readProjectFile(join(dir, 'bad.toml')), { code: 'ERR_PLATFORM_FILE_INVALID', file: join(dir, 'bad.toml') })
})
