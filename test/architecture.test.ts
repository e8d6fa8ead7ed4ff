/**
 * Enforces the module map of docs/architecture.md: which lib/ folder may import which, which
 * packages each may use, no file-level import cycles, index.ts as every folder's only door, and
 * which files may touch argv, exit and the environment.
 */
import t from 'tap'
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs'
import { join, relative, dirname, sep, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const LIB = join(ROOT, 'lib')

const BASE = ['.', 'toml', 'digest', 'oci']
/** folder → lib folders it may import (besides itself) and the packages it may use. */
export const RULES: Record<string, { folders: string[]; packages: string[] }> = {
  '.': { folders: [], packages: ['node:fs'] }, // errors, exit-codes, phase-error, api-version, fs-checks
  toml: { folders: ['.'], packages: ['@iarna/toml', 'node:fs'] },
  digest: { folders: ['.'], packages: [] },
  oci: { folders: ['.', 'digest'], packages: [] },
  image: { folders: ['.', 'digest', 'oci'], packages: [] },
  registry: { folders: ['.', 'digest', 'oci'], packages: ['undici', 'node:fs'] },
  layer: { folders: ['.', 'digest', 'oci', 'image'], packages: ['tar-stream', 'node:fs'] },
  layout: { folders: ['.', 'digest', 'oci', 'image'], packages: ['node:fs', 'proper-lockfile'] },
  remote: { folders: ['.', 'digest', 'oci', 'image'], packages: ['p-limit'] },
  buildpack: { folders: [...BASE, 'image', 'layer'], packages: ['node:fs', 'picomatch'] },
  platform: { folders: [...BASE, 'image', 'buildpack'], packages: ['node:fs'] },
  runner: { folders: ['.'], packages: ['node:fs'] },
  launch: { folders: ['.'], packages: [] },
  cache: { folders: [...BASE, 'image', 'layer', 'layout', 'remote', 'platform'], packages: ['node:fs'] },
  distribution: { folders: [...BASE, 'image', 'layer', 'layout', 'remote', 'registry', 'buildpack', 'platform'], packages: ['node:fs', 'tar-stream', 'p-limit'] },
  lifecycle: { folders: [...BASE, 'image', 'layer', 'layout', 'remote', 'registry', 'buildpack', 'platform', 'runner', 'launch', 'cache', 'distribution'], packages: ['node:fs', 'ignore', 'picomatch', 'p-limit', 'tar-stream'] },
  rebase: { folders: [...BASE, 'image', 'remote', 'platform'], packages: ['p-limit'] },
  inspect: { folders: [...BASE, 'image', 'remote', 'platform', 'launch', 'distribution'], packages: ['tar-stream'] },
  fleet: { folders: [...BASE, 'image', 'layer', 'layout', 'remote', 'registry', 'buildpack', 'platform', 'distribution', 'cache', 'lifecycle', 'rebase'], packages: ['node:fs', 'p-limit'] },
  cli: { folders: ['.', 'toml', 'digest', 'oci', 'image', 'registry', 'layer', 'layout', 'remote', 'buildpack', 'platform', 'runner', 'launch', 'cache', 'distribution', 'lifecycle', 'rebase', 'inspect', 'fleet'], packages: ['node:fs', 'p-limit', 'yaml', '@iarna/toml'] },
}

function files(dir: string, ext = /\.ts$/): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir).flatMap((n) => {
    if (n === 'node_modules' || n.startsWith('.')) return []
    const p = join(dir, n)
    return statSync(p).isDirectory() ? files(p, ext) : ext.test(p) ? [p] : []
  })
}

const folderOf = (file: string): string => {
  const rel = relative(LIB, file).split(sep)
  return rel.length === 1 ? '.' : rel[0]!
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g
const specs = (file: string): string[] =>
  [...readFileSync(file, 'utf8').matchAll(IMPORT)].map((m) => (m[1] ?? m[2])!)
/** The .ts file a relative import names (imports are written with .js). */
const target = (from: string, spec: string): string => resolve(dirname(from), spec).replace(/\.js$/, '.ts')

t.test('every import follows the dependency table', async (t) => {
  const problems: string[] = []
  for (const file of files(LIB)) {
    const folder = folderOf(file)
    const rule = RULES[folder]
    if (!rule) {
      problems.push(`${relative(LIB, file)}: folder ${folder} has no rule in test/architecture.test.ts`)
      continue
    }
    for (const spec of specs(file)) {
      if (spec.startsWith('.')) {
        const tf = folderOf(target(file, spec))
        if (tf === folder) continue
        if (!rule.folders.includes(tf)) problems.push(`${relative(LIB, file)} imports ${spec} (${folder} → ${tf} not allowed)`)
        else if (tf !== '.' && !/\/index\.js$/.test(spec)) problems.push(`${relative(LIB, file)} imports ${spec}: use the folder's index.ts`)
      } else if (spec.startsWith('node:')) {
        if (spec.startsWith('node:fs') && !rule.packages.includes('node:fs')) problems.push(`${relative(LIB, file)} uses ${spec}`)
      } else {
        const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!
        if (!rule.packages.includes(pkg)) problems.push(`${relative(LIB, file)} uses package ${pkg}`)
      }
    }
  }
  t.same(problems, [])
})

t.test('every lib/ folder has an index.ts', async (t) => {
  const folders = readdirSync(LIB).filter((n) => statSync(join(LIB, n)).isDirectory())
  t.same(folders.filter((f) => !existsSync(join(LIB, f, 'index.ts'))), [])
})

t.test('no file-level import cycle in lib/', async (t) => {
  const graph = new Map<string, string[]>()
  for (const file of files(LIB)) {
    graph.set(file, specs(file).filter((s) => s.startsWith('.')).map((s) => target(file, s)).filter((f) => f.startsWith(LIB)))
  }
  const cycles: string[] = []
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const visit = (f: string): void => {
    state.set(f, 'open')
    stack.push(f)
    for (const g of graph.get(f) ?? []) {
      if (state.get(g) === 'open') cycles.push(stack.slice(stack.indexOf(g)).concat(g).map((x) => relative(LIB, x)).join(' → '))
      else if (!state.has(g)) visit(g)
    }
    stack.pop()
    state.set(f, 'done')
  }
  for (const f of graph.keys()) if (!state.has(f)) visit(f)
  t.same(cycles, [])
})

t.test('bin/, benchmarks/ and registry-fixtures/ reach lib/ only through a folder index.ts', async (t) => {
  const problems: string[] = []
  for (const dir of ['bin', 'benchmarks', 'registry-fixtures']) {
    for (const file of files(join(ROOT, dir), /\.(ts|mjs|js|cjs)$/)) {
      for (const spec of specs(file)) {
        if (!spec.startsWith('.')) continue
        const abs = target(file, spec)
        if (!abs.startsWith(LIB + sep)) continue
        const rel = relative(LIB, abs).split(sep)
        const ok = rel.length === 1 || (rel.length === 2 && rel[1] === 'index.ts')
        if (!ok) problems.push(`${relative(ROOT, file)} imports ${spec}`)
      }
    }
  }
  t.same(problems, [])
})

t.test('docs/architecture.md lists every lib/ folder and the same dependency table', async (t) => {
  const doc = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8')
  const folders = readdirSync(LIB).filter((n) => statSync(join(LIB, n)).isDirectory())
  t.same(folders.filter((f) => !new RegExp('`' + f + '/`').test(doc)), [], 'each folder is named as `folder/`')
  // The table in the doc: one row per folder, "| `folder/` | a, b, c |".
  const rows = new Map<string, string[]>()
  for (const m of doc.matchAll(/^\| `([a-z.-]+)\/?` \| ([^|]*) \|/gm)) rows.set(m[1]!, m[2]!.split(',').map((s) => s.trim()).filter((s) => s && s !== '—').sort())
  for (const [folder, rule] of Object.entries(RULES)) {
    if (!folders.includes(folder) && folder !== '.') continue
    t.same(rows.get(folder), [...rule.folders].sort(), `dependency row for ${folder}`)
  }
})

t.test('only lib/cli touches argv and exit; env is read in known places only', async (t) => {
  const ENV_READERS = ['registry/keychain.ts', 'cli/main.ts', 'cli/env.ts']
  const problems: string[] = []
  for (const file of files(LIB)) {
    const rel = relative(LIB, file).split(sep).join('/')
    const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')
    if (/process\.(argv|exit)\b/.test(code) && !rel.startsWith('cli/')) problems.push(`${rel} touches process.argv/exit`)
    if (/process\.env\b/.test(code) && !ENV_READERS.includes(rel)) problems.push(`${rel} reads process.env`)
  }
  t.same(problems, [])
})

t.test('every source file opens with a line that says what it is for', async (t) => {
  const problems: string[] = []
  for (const file of files(LIB)) {
    const first = readFileSync(file, 'utf8').split('\n')[0]!
    if (!/^(\/\*\*|\/\/) ?\S/.test(first)) problems.push(relative(ROOT, file))
  }
  t.same(problems, [])
})

/** False for files that only declare types or re-export: there is nothing in them to run. */
function hasRuntimeCode(file: string): boolean {
  const code = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '')
    .replace(/^\s*(import|export)\s[^;]*?from\s+['"][^'"]+['"]/gm, '')
  return /\b(function|class|const|let)\s/.test(code)
}

t.test('the test tree mirrors lib/: every source file has a test file', async (t) => {
  const missing: string[] = []
  for (const file of files(LIB)) {
    const rel = relative(LIB, file)
    if (rel.endsWith('index.ts') || rel.endsWith('.d.ts') || !hasRuntimeCode(file)) continue
    const test = join(ROOT, 'test', rel.replace(/\.ts$/, '.test.ts'))
    if (!existsSync(test)) missing.push(relative(ROOT, test))
  }
  t.same(missing, [])
})
