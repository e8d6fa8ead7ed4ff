import t from 'tap'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseFleetText, readFleetFile, FleetFileError } from '../../lib/fleet/index.js'

const ISSUE_EXAMPLE = `[defaults]                      # any image key; an image's own value wins
builder = "registry.example.com/builders/node:latest"
[[images]]
tag = "registry.example.com/apps/a:latest"
path = "./apps/a"               # or: git = "https://git.example.com/a.git", revision = "main"
run-image = "registry.example.com/base/run:1"   # optional override
env = { BP_NODE_VERSION = "20" }
cache-image = "registry.example.com/apps/a-cache:latest"
[[images]]
tag = "registry.example.com/apps/b:latest"
git = "https://git.example.com/b.git"
revision = "main"
buildpacks = ["./bp", "id@1.0"]
run-image = "registry.example.com/base/run:2"
`

t.test('the issue\'s example reads as written; defaults apply; an image\'s own value wins', async (t) => {
  const f = parseFleetText(ISSUE_EXAMPLE, '/srv/fleet.toml')
  t.equal(f.dir, '/srv')
  const [a, b] = f.images
  t.match(a, {
    index: 0, tag: 'registry.example.com/apps/a:latest', source: { kind: 'path', path: '/srv/apps/a', declared: './apps/a' },
    builder: 'registry.example.com/builders/node:latest', runImage: 'registry.example.com/base/run:1',
    env: { BP_NODE_VERSION: '20' }, cacheImage: 'registry.example.com/apps/a-cache:latest', at: { line: 3, entry: 'images[0] (registry.example.com/apps/a:latest)' },
  })
  t.match(b, { source: { kind: 'git', url: 'https://git.example.com/b.git', revision: 'main' }, buildpacks: ['./bp', 'id@1.0'], at: { line: 9 } })
  t.equal(b!.builder, undefined, 'own buildpacks win over the default builder')
  t.equal(b!.lines['revision'], 12)
})

t.test('env merges name by name; numbers become strings; git revision defaults to HEAD', async (t) => {
  const f = parseFleetText('[defaults]\nrun-image = "r/run:1"\nbuildpacks = ["x"]\nenv = { A = "1", B = "2" }\n[[images]]\ntag = "r/a"\ngit = "file:///x"\nenv = { B = 3, C = true }\n', 'f.toml')
  t.same(f.images[0]!.env, { A: '1', B: '3', C: 'true' })
  t.match(f.images[0]!.source, { kind: 'git', revision: 'HEAD' })
})

t.test('errors name the file, the entry and the line', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['[[images]]\ntag = "r/a"\npath = "."\nbuildpacks = ["x"]\nrun-image = "r/run"\nbulider = "b"\n', /^f\.toml:6: images\[0\] \(r\/a\): unknown key "bulider" \(expected one of tag, path/],
    ['[defaults]\nrun-image = "r"\ntag = "x"\n', /^f\.toml:3: defaults: unknown key "tag"/],
    ['imagez = []\n', /^f\.toml:1: unknown key "imagez"/],
    ['[[images]]\ntag = "r/a"\npath = "."\nbuilder = "b"\n\n[[images]]\ntag = "r/a:latest"\npath = "."\nbuilder = "b"\n', /^f\.toml:7: images\[1\] \(r\/a:latest\): duplicate tag "r\/a:latest": already declared by images\[0\] \(r\/a\) at line 1/],
    ['[[images]]\ntag = "r/a"\nbuilder = "b"\n', /^f\.toml:1: images\[0\] \(r\/a\): missing source/],
    ['[[images]]\ntag = "r/a"\npath = "."\ngit = "g"\nbuilder = "b"\n', /^f\.toml:4: .*path and git exclude each other/],
    ['[[images]]\ntag = "r/a"\npath = "."\nrevision = "main"\nbuilder = "b"\n', /^f\.toml:4: .*revision needs git/],
    ['[[images]]\ntag = "r/a"\npath = "."\n', /^f\.toml:1: .*no builder and no buildpacks/],
    ['[[images]]\ntag = "r/a"\npath = "."\nbuildpacks = ["x"]\n', /^f\.toml:1: .*buildpacks need a run-image/],
    ['[[images]]\ntag = "r/a"\npath = "."\nbuilder = "b"\nbuildpacks = ["x"]\n', /^f\.toml:5: .*builder and buildpacks exclude each other/],
    ['[[images]]\npath = "."\nbuilder = "b"\n', /^f\.toml:1: images\[0\]: missing tag/],
    ['[[images]]\ntag = "r/A B"\npath = "."\nbuilder = "b"\n', /^f\.toml:2: .*tag "r\/A B"/],
    ['[[images]]\ntag = "r/a"\npath = "."\nbuilder = "b"\nenv = "X=1"\n', /^f\.toml:5: .*env must be a table/],
    ['[[images]]\ntag = "r/a"\npath = 3\nbuilder = "b"\n', /^f\.toml:3: .*path must be a non-empty string/],
    ['[[images]\n', /^f\.toml: /],
  ]
  for (const [text, re] of cases) {
    const err = t.throws(() => parseFleetText(text, 'f.toml')) as unknown as FleetFileError
    t.ok(err instanceof FleetFileError, text)
    t.match(err.message, re, text)
    t.equal(err.code, 'ERR_FLEET_FILE')
  }
})

t.test('YAML fleet files use the same keys, with lines', async (t) => {
  const yaml = `defaults:\n  run-image: r/run:1\n  buildpacks: [./bp]\nimages:\n  - tag: r/a:1\n    path: ./a\n  - tag: r/b:1\n    git: https://g/b.git\n    revision: v2\n    cache-image: r/b-cache\n`
  const f = parseFleetText(yaml, '/x/fleet.yaml')
  t.match(f.images[1], { source: { kind: 'git', revision: 'v2' }, cacheImage: 'r/b-cache', at: { line: 7 } })
  t.throws(() => parseFleetText(`images:\n  - tag: r/a:1\n    path: ./a\n    builder: b\n    colour: red\n`, 'f.yml'), /^f\.yml:5: images\[0\] \(r\/a:1\): unknown key "colour"/)
  t.throws(() => parseFleetText(`images:\n  - tag: [\n`, 'f.yml'), /^f\.yml:\d+: not valid YAML/)
})

t.test('readFleetFile: a missing file is a FleetFileError naming it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lading-fleet-file-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await t.rejects(readFleetFile(join(dir, 'none.toml')), /none\.toml: cannot read the fleet file \(ENOENT\)/)
  await writeFile(join(dir, 'f.toml'), '[[images]]\ntag = "r/a"\npath = "."\nbuilder = "b"\n')
  t.equal((await readFleetFile(join(dir, 'f.toml'))).images.length, 1)
})
