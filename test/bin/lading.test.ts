import t from 'tap'
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { LADING_BIN, cleanEnv, runBin } from '../helpers/cli.js'

let cache: string
t.before(async () => { cache = await mkdtemp(join(tmpdir(), 'lading-bin-')) })
t.teardown(() => rm(cache, { recursive: true, force: true }))

const v8Dir = (): string => join(cache, 'lading', 'v8')

t.test('the first run of a command leaves a compile cache that the next run uses as is', async (t) => {
  const env = cleanEnv({ XDG_CACHE_HOME: cache })
  const first = await runBin(['digest', '--help'], env)
  t.equal(first.code, 0, first.stderr)
  const files = (await readdir(v8Dir())).filter((f) => f.startsWith('digest-'))
  t.equal(files.length, 1, 'one cache for the command')
  t.match(files[0], new RegExp(`^digest-${process.version}-${process.arch}-\\d+-\\d+\\.bin$`))
  const before = await stat(join(v8Dir(), files[0]!))
  const second = await runBin(['digest', '--help'], env)
  t.equal(second.code, 0)
  t.equal(second.stdout, first.stdout, 'same output with the cache')
  t.equal((await stat(join(v8Dir(), files[0]!))).mtimeMs, before.mtimeMs, 'accepted: not written again')
})

t.test('a damaged cache is refused by V8 and replaced; the command still runs', async (t) => {
  const env = cleanEnv({ XDG_CACHE_HOME: cache })
  t.equal((await runBin(['--version'], env)).code, 0)
  const file = (await readdir(v8Dir())).find((f) => f.startsWith('none-'))!
  await writeFile(join(v8Dir(), file), 'not a code cache')
  const r = await runBin(['--version'], env)
  t.equal(r.code, 0)
  t.match(r.stdout, /^lading \d+\.\d+\.\d+/)
  t.ok((await stat(join(v8Dir(), file))).size > 1000, 'rewritten from the run')
})

t.test('LADING_NO_COMPILE_CACHE: nothing written; an unwritable cache dir is not an error', async (t) => {
  const off = await mkdtemp(join(tmpdir(), 'lading-bin-off-'))
  t.teardown(() => rm(off, { recursive: true, force: true }))
  t.equal((await runBin(['--version'], cleanEnv({ XDG_CACHE_HOME: off, LADING_NO_COMPILE_CACHE: '1' }))).code, 0)
  t.same(await readdir(off), [])
  const blocked = join(off, 'file')
  await writeFile(blocked, '')
  const r = await runBin(['--version'], cleanEnv({ XDG_CACHE_HOME: blocked }))
  t.equal(r.code, 0)
  t.equal(r.stderr, '')
})

t.test('every command runs from a bundle of its own, smaller than the whole CLI, and keeps its cache under its name', async (t) => {
  const { COMMANDS } = await import('../../lib/cli/main.js')
  const dist = fileURLToPath(new URL('../../dist/', import.meta.url))
  const whole = (await stat(join(dist, 'lading.cjs'))).size
  const own = await mkdtemp(join(tmpdir(), 'lading-bin-own-'))
  t.teardown(() => rm(own, { recursive: true, force: true }))
  const env = cleanEnv({ XDG_CACHE_HOME: own })
  for (const c of COMMANDS) {
    const bundle = join(dist, 'commands', `${c.name}.cjs`)
    const bytes = readFileSync(bundle)
    t.equal(bytes.findIndex((b) => b > 0x7f), -1, `${c.name}: pure ASCII, like dist/lading.cjs`)
    t.ok(bytes.length < whole, `${c.name}: ${bytes.length} of ${whole} bytes`)
    const r = await runBin([c.name, '--help'], env)
    t.equal(r.code, 0, r.stderr)
    t.match(r.stdout, new RegExp(`^Usage: lading ${c.name}\\b`))
  }
  const caches = (await readdir(join(own, 'lading', 'v8'))).map((f) => f.split('-')[0]).sort()
  t.same(caches, COMMANDS.map((c) => c.name).sort(), 'one cache per command, none for the whole CLI')
})

t.test('a global flag whose value is a command word: the whole CLI runs the command argv names', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lading-bin-word-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const env = cleanEnv({ XDG_CACHE_HOME: dir })
  // `config` is a registry host here; the command is digest, which the config bundle lacks.
  const r = await runBin(['--insecure-registry', 'config', 'digest', 'oci:/nonexistent'], env)
  t.equal(r.code, 6, r.stderr)
  t.match(r.stderr, /\/nonexistent is not an OCI image layout/, 'digest ran: the command main() parsed, not the first plain word')
  t.equal((await runBin(['typo'], env)).code, 3)
  const caches = (await readdir(join(dir, 'lading', 'v8'))).map((f) => f.split('-')[0]).sort()
  t.same(caches, ['config', 'other'], 'the config bundle was tried; the whole CLI ran under "other", and the typo made no cache of its own')
})

t.test('the bundle is read as latin1: every non-ASCII character in dist/lading.cjs is in a comment', async (t) => {
  const { default: ts } = await import('typescript')
  const file = fileURLToPath(new URL('../../dist/lading.cjs', import.meta.url))
  const text = await readFile(file, 'utf8')
  const odd = [...text.matchAll(/[^\x00-\x7f]/g)].map((m) => m.index!)
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS)
  const bad: string[] = []
  // Only the nodes around a non-ASCII character are visited; a token (string, template, regex, name) holding one is code.
  const visit = (node: import('typescript').Node): void => {
    if (!odd.some((i) => i >= node.pos && i < node.end)) return
    let leaf = true
    node.forEachChild((c) => {
      leaf = false
      visit(c)
    })
    if (leaf && odd.some((i) => i >= node.getStart(source) && i < node.end)) bad.push(node.getText(source).slice(0, 80))
  }
  visit(source)
  t.same(bad, [], 'code is ASCII, so latin1 and UTF-8 read it alike')
})

t.test('a command that uploads with undici and one that reads over Node\'s http keep their caches run after run', async (t) => {
  const { startRegistry } = await import('../../registry-fixtures/index.js')
  const reg = await startRegistry()
  t.teardown(() => reg.stop())
  const app = await mkdtemp(join(tmpdir(), 'lading-bin-app-'))
  t.teardown(() => rm(app, { recursive: true, force: true }))
  await writeFile(join(app, 'a.txt'), 'a\n')
  const env = cleanEnv({ XDG_CACHE_HOME: cache })
  for (const [command, argv] of [
    ['append', ['append', 'scratch', `${reg.host}/bin/app:1`, '--layer', `${app}:/app`, '--quiet']],
    ['digest', ['digest', `${reg.host}/bin/app:1`]],
  ] as const) {
    const mtimes: number[] = []
    for (let i = 0; i < 3; i++) {
      const r = await runBin([...argv], env)
      t.equal(r.code, 0, r.stderr)
      const file = (await readdir(v8Dir())).find((f) => f.startsWith(`${command}-`))!
      mtimes.push((await stat(join(v8Dir(), file))).mtimeMs)
    }
    // Written by the first run only: a cache V8 refused (e.g. made under other V8 flags) is written again.
    t.equal(new Set(mtimes).size, 1, `${command}: the cache of the first run is accepted by the next two`)
  }
})

t.test('the launcher turns the optimizing wasm tier off first for exactly the commands that use undici', async (t) => {
  const { COMMANDS } = await import('../../lib/cli/main.js')
  const launcher = readFileSync(LADING_BIN, 'utf8')
  const listed = JSON.parse((/\[([^\]]*)\]\.includes\(word\)\) require\('node:v8'\)/.exec(launcher)?.[1] ?? '').replace(/'/g, '"').replace(/^/, '[').replace(/$/, ']')) as string[]
  const undici: string[] = []
  for (const c of COMMANDS) if (['undici', 'mixed'].includes((await c.load()).transport ?? 'node')) undici.push(c.name)
  t.same([...listed].sort(), undici.sort())
})
