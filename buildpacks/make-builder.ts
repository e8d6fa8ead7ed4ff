/**
 * `npm run builder -- PREFIX [--env NAME=VALUE ...] [--tag REF] [--no-stack]`: bundles the buildpacks,
 * publishes the stack (PREFIX/run:latest, PREFIX/build:latest) and creates the Node.js builder
 * PREFIX/builder:latest from buildpacks/builder.toml with `lading builder create`. PREFIX is a
 * registry prefix (127.0.0.1:5000/lading) or an OCI layout (oci:DIR → oci:DIR:run|build|builder).
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs, promisify } from 'node:util'
import { publishStack, stackRefs, type PublishedStack } from '../stacks/stack.js'
import { bundleBuildpacks } from './bundle.js'
import { npmBuildEnv } from './npm-env.js'

const run = promisify(execFile)
const HERE = dirname(fileURLToPath(import.meta.url))
const LADING = join(HERE, '..', 'bin', 'lading')
const TEMPLATE_PREFIX = '127.0.0.1:5000/lading'

export interface BuilderOptions {
  /** Extra [[build.env]] entries (override the npm ones of the same name). */
  env?: Record<string, string>
  /** Where the builder goes (default PREFIX/builder:latest). */
  builderRef?: string
  /** Reuse the published stack instead of publishing it again. */
  skipStack?: boolean
  log?: (line: string) => void
}

export interface MadeBuilder { builder: string; digest: string; run: string; build: string; stack?: PublishedStack; buildEnv: Record<string, string> }

/** The TOML for PREFIX: image references moved, buildpack uris absolute, build env appended. */
export function builderToml(template: string, prefix: string, env: Record<string, string>): string {
  const refs = stackRefs(prefix)
  let out = template
    .replaceAll(`"${TEMPLATE_PREFIX}/build:latest"`, JSON.stringify(refs.build))
    .replaceAll(`"${TEMPLATE_PREFIX}/run:latest"`, JSON.stringify(refs.run))
    .replace(/^uri = "([^"/:]+)"$/gm, (_, d: string) => `uri = ${JSON.stringify(join(HERE, d))}`)
  for (const [name, value] of Object.entries(env)) out += `\n[[build.env]]\nname = ${JSON.stringify(name)}\nvalue = ${JSON.stringify(value)}\n`
  return out
}

export async function makeBuilder(prefix: string, o: BuilderOptions = {}): Promise<MadeBuilder> {
  await bundleBuildpacks()
  const stack = o.skipStack ? undefined : await publishStack(prefix, o.log ? { log: o.log } : {})
  const refs = stackRefs(prefix)
  const buildEnv = { ...npmBuildEnv(), ...(o.env ?? {}) }
  const dir = await mkdtemp(join(tmpdir(), 'lading-builder-'))
  try {
    const file = join(dir, 'builder.toml')
    await writeFile(file, builderToml(await readFile(join(HERE, 'builder.toml'), 'utf8'), prefix, buildEnv))
    const builder = o.builderRef ?? refs.builder
    // A plain node child: a test runner's loader hooks (NODE_OPTIONS) would break the bundled CLI.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && !k.startsWith('TAP') && !k.startsWith('_TAPJS')))
    const { stdout } = await run(LADING, ['builder', 'create', builder, '--config', file, '--json'], { maxBuffer: 16 << 20, env })
    const digest = (JSON.parse(stdout) as { digest?: string }).digest ?? stdout.trim()
    o.log?.(`builder: ${builder} ${digest}`)
    return { builder, digest, run: refs.run, build: refs.build, ...(stack ? { stack } : {}), buildEnv }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: {
    env: { type: 'string', multiple: true }, tag: { type: 'string' }, 'no-stack': { type: 'boolean' }, json: { type: 'boolean' },
  } })
  if (positionals.length !== 1) {
    process.stderr.write('usage: npm run builder -- PREFIX|oci:DIR [--env NAME=VALUE ...] [--tag REF] [--no-stack] [--json]\n')
    process.exit(3)
  }
  const env = Object.fromEntries((values.env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]))
  const res = await makeBuilder(positionals[0]!, { env, ...(values.tag ? { builderRef: values.tag } : {}), skipStack: Boolean(values['no-stack']), log: (l) => process.stderr.write(`${l}\n`) })
  if (values.json) process.stdout.write(`${JSON.stringify({ ...res, buildEnv: Object.keys(res.buildEnv) }, null, 2)}\n`)
  else process.stdout.write(`${res.run}\n${res.build}\n${res.builder} ${res.digest}\n`)
}
