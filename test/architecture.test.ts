/**
 * Enforces the module map of architecture.md §2.2: which lib/ folder may import which, which
 * packages each may use, and which files may touch argv, exit and the environment.
 */
import t from 'tap'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, dirname, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const LIB = fileURLToPath(new URL('../lib/', import.meta.url))

/** folder → lib folders it may import (besides itself) and packages it may use. */
const RULES: Record<string, { folders: string[]; packages: string[] }> = {
  '.': { folders: [], packages: ['node:fs'] }, // lib/errors.ts, lib/api-version.ts, lib/fs-checks.ts
  digest: { folders: ['.'], packages: [] },
  oci: { folders: ['.', 'digest'], packages: [] },
  image: { folders: ['.', 'digest', 'oci'], packages: [] },
  registry: { folders: ['.', 'digest', 'oci'], packages: ['undici', 'node:fs'] },
  layer: { folders: ['.', 'digest', 'oci', 'image'], packages: ['tar-stream', 'node:fs'] },
  layout: { folders: ['.', 'digest', 'oci', 'image'], packages: ['node:fs'] },
  remote: { folders: ['.', 'digest', 'oci', 'image'], packages: ['p-limit'] },
  buildpack: { folders: ['.', 'digest', 'oci', 'image', 'layer', 'platform'], packages: ['@iarna/toml', 'node:fs', 'picomatch'] },
  platform: { folders: ['.', 'digest', 'oci', 'image'], packages: ['@iarna/toml', 'node:fs'] },
  lifecycle: { folders: ['.', 'digest', 'oci', 'image', 'layer', 'layout', 'remote', 'buildpack', 'platform', 'registry'], packages: ['@iarna/toml', 'node:fs', 'ignore', 'picomatch', 'p-limit', 'tar-stream'] },
  cli: { folders: ['.', 'digest', 'oci', 'image', 'layer', 'layout', 'remote', 'registry', 'buildpack', 'platform', 'lifecycle'], packages: ['node:fs', 'p-limit'] },
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n)
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : []
  })
}

const folderOf = (file: string): string => {
  const rel = relative(LIB, file).split(sep)
  return rel.length === 1 ? '.' : rel[0]!
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g

t.test('every import follows the dependency table', async (t) => {
  const problems: string[] = []
  for (const file of files(LIB)) {
    const folder = folderOf(file)
    const rule = RULES[folder]
    if (!rule) {
      problems.push(`${relative(LIB, file)}: folder ${folder} has no rule in test/architecture.test.ts`)
      continue
    }
    const text = readFileSync(file, 'utf8')
    for (const m of text.matchAll(IMPORT)) {
      const spec = (m[1] ?? m[2])!
      if (spec.startsWith('.')) {
        const target = join(dirname(file), spec)
        const tf = folderOf(target)
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

t.test('only lib/cli touches argv and exit; env is read in known places only', async (t) => {
  const ENV_READERS = ['registry/keychain.ts', 'cli/main.ts']
  const problems: string[] = []
  for (const file of files(LIB)) {
    const rel = relative(LIB, file).split(sep).join('/')
    const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')
    if (/process\.(argv|exit)\b/.test(code) && !rel.startsWith('cli/')) problems.push(`${rel} touches process.argv/exit`)
    if (/process\.env\b/.test(code) && !ENV_READERS.includes(rel)) problems.push(`${rel} reads process.env`)
  }
  t.same(problems, [])
})
