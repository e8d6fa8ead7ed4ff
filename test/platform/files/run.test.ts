import t from 'tap'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseRun, parseStack, readRunFile, stringifyRun } from '../../../lib/platform/index.js'

const RUN = `
[[images]]
image = "registry.example/base/run:jammy"
mirrors = ["mirror.example/base/run:jammy", "ghcr.io/example/run:jammy"]

[[images]]
image = "registry.example/base/run:noble"
`

t.test('run.toml', async (t) => {
  const run = parseRun(RUN)
  t.same(run, {
    images: [
      { image: 'registry.example/base/run:jammy', mirrors: ['mirror.example/base/run:jammy', 'ghcr.io/example/run:jammy'] },
      { image: 'registry.example/base/run:noble', mirrors: [] },
    ],
  })
  const text = stringifyRun(run)
  t.equal(text, '[[images]]\nimage = "registry.example/base/run:jammy"\nmirrors = [ "mirror.example/base/run:jammy", "ghcr.io/example/run:jammy" ]\n\n' +
    '[[images]]\nimage = "registry.example/base/run:noble"\nmirrors = [ ]\n')
  t.same(parseRun(text), run)
  t.same(parseRun(''), { images: [] })
})

t.test('legacy stack.toml', async (t) => {
  t.same(parseStack('[run-image]\nimage = "r/run:1"\nmirrors = ["m/run:1"]\n[build-image]\nimage = "r/build:1"\n'),
    { images: [{ image: 'r/run:1', mirrors: ['m/run:1'] }] })
  t.same(parseStack('[run-image]\n'), { images: [] })
  t.same(parseStack(''), { images: [] })
  t.throws(() => parseStack('[run-image]\nimage = "a"\nmirrors = "x"\n', 's.toml'), { message: /s\.toml: key "run-image\.mirrors": must be an array/ })
})

const BAD: Array<[string, string, RegExp]> = [
  ['missing image', '[[images]]\nmirrors = []\n', /r\.toml: key "images\[0\]\.image": is required/],
  ['mirror not a string', '[[images]]\nimage = "a"\nmirrors = [1]\n', /key "images\[0\]\.mirrors\[0\]": must be a string/],
  ['images a table', '[images]\nimage = "a"\n', /key "images": must be an array of tables/],
]
for (const [name, text, re] of BAD) {
  t.test(`rejects: ${name}`, async (t) => {
    t.throws(() => parseRun(text, 'r.toml'), { code: 'ERR_PLATFORM_FILE_INVALID', message: re })
  })
}

t.test('readRunFile: run.toml first, then stack.toml, then empty', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lading-run-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const run = join(dir, 'run.toml')
  const stack = join(dir, 'stack.toml')
  t.same(await readRunFile(run, stack), { images: [] })
  t.same(await readRunFile(run), { images: [] })
  await writeFile(stack, '[run-image]\nimage = "s/run:1"\n')
  t.same(await readRunFile(run, stack), { images: [{ image: 's/run:1', mirrors: [] }] })
  await writeFile(run, RUN)
  t.equal((await readRunFile(run, stack)).images.length, 2)
  await writeFile(run, '[[images]]\n')
  await t.rejects(readRunFile(run, stack), { code: 'ERR_PLATFORM_FILE_INVALID', file: run, key: 'images[0].image' })
})
