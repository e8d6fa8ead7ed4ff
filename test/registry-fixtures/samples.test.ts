import t from 'tap'
import TOML from '@iarna/toml'
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import {
  detect, formatRestoredLayerMetadata, formatStoreToml, parseDetectPlan, parseLaunchToml, parseLayerMetadata,
  readBuildpackDescriptor, type BuildpackDescriptor, type DetectOutcome,
} from '../../lib/buildpack/index.js'
import { parseOrder, parseProject } from '../../lib/platform/index.js'
import { EXPECTED, SAMPLE_APIS, SAMPLE_VERSION, SAMPLES, sampleId, webOutput, type SampleBuildpackName } from '../../registry-fixtures/samples.js'

type Toml = Record<string, unknown>
const NAMES = Object.keys(SAMPLE_APIS) as SampleBuildpackName[]
const COMPONENTS = NAMES.filter((n) => n !== 'meta')
const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p))

function tmp(t: { teardown(fn: () => void): void }): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'lading-samples-')))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

interface Run { code: number | null; stdout: string; stderr: string }

function run(file: string, args: string[], o: { cwd: string; env: Record<string, string> }): Run {
  const r = spawnSync(file, args, { cwd: o.cwd, env: o.env, encoding: 'utf8' })
  if (r.error) throw r.error
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** The env a lifecycle gives bin/build (allow-list + CNB_*), on the host. */
function buildEnv(layers: string, name: SampleBuildpackName, plan: string, platform: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: platform,
    CNB_BUILDPACK_DIR: SAMPLES.buildpack(name), CNB_PLATFORM_DIR: platform, CNB_LAYERS_DIR: layers, CNB_BP_PLAN_PATH: plan,
    ...extra,
  }
}

function runDetectScript(name: SampleBuildpackName, dir: string): { r: Run; plan: string } {
  const planPath = join(dir, `plan-${name}.toml`)
  writeFileSync(planPath, '')
  mkdirSync(join(dir, 'platform'), { recursive: true })
  const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', CNB_BUILDPACK_DIR: SAMPLES.buildpack(name), CNB_PLATFORM_DIR: join(dir, 'platform'), CNB_BUILD_PLAN_PATH: planPath }
  const r = run(join(SAMPLES.buildpack(name), 'bin/detect'), [join(dir, 'platform'), planPath], { cwd: SAMPLES.apps.hello, env })
  return { r, plan: readFileSync(planPath, 'utf8') }
}

/** Runs bin/build of `name` with its layers at `<root>/layers/<escaped-id>`. */
function runBuildScript(name: SampleBuildpackName, root: string, o: { plan?: string; env?: Record<string, string> } = {}): { r: Run; layers: string } {
  const layers = join(root, 'layers', `lading-test_${name}`)
  mkdirSync(layers, { recursive: true })
  mkdirSync(join(root, 'platform'), { recursive: true })
  mkdirSync(join(root, 'app'), { recursive: true })
  const plan = join(root, `bp-plan-${name}.toml`)
  writeFileSync(plan, o.plan ?? '')
  const r = run(join(SAMPLES.buildpack(name), 'bin/build'), [layers, join(root, 'platform'), plan],
    { cwd: join(root, 'app'), env: buildEnv(layers, name, plan, join(root, 'platform'), o.env) })
  return { r, layers }
}

const readToml = (p: string): Toml => TOML.parse(readFileSync(p, 'utf8')) as Toml
const sha256 = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex')

t.test('every sample buildpack.toml parses, with the declared api, id and version', async (t) => {
  t.same(readdirSync(SAMPLES.buildpacksDir).sort(), [...NAMES].sort(), 'one directory per sample, nothing else')
  for (const name of NAMES) {
    const doc = readToml(join(SAMPLES.buildpack(name), 'buildpack.toml'))
    const bp = doc['buildpack'] as Toml
    t.equal(doc['api'], SAMPLE_APIS[name], `${name}: api`)
    t.equal(bp['id'], sampleId(name), `${name}: id`)
    t.equal(bp['version'], SAMPLE_VERSION, `${name}: version`)
    if (name === 'old-api') {
      await t.rejects(readBuildpackDescriptor(SAMPLES.buildpack(name)), { code: 'ERR_BUILDPACK_API' }, 'API 0.2 is refused')
      continue
    }
    const d = await readBuildpackDescriptor(SAMPLES.buildpack(name))
    t.equal(d.api, SAMPLE_APIS[name], `${name}: lading reads it`)
  }
  const meta = await readBuildpackDescriptor(SAMPLES.buildpack('meta'))
  t.same(meta.order.map((g) => g.group.map((e) => [e.id, e.version, e.optional])), [[
    ['lading-test/base', '0.0.1', false], ['lading-test/deps', '0.0.1', false],
    ['lading-test/procs', '0.0.1', false], ['lading-test/optional-fails', '0.0.1', true],
  ]])
  t.notOk(existsSync(join(SAMPLES.buildpack('meta'), 'bin')), 'a composite has no bin/')
  const procs = await readBuildpackDescriptor(SAMPLES.buildpack('procs'))
  t.same(procs.sbomFormats, ['application/vnd.cyclonedx+json'])
})

t.test('scripts: executable, bash -n clean, launch-time scripts sh-only', async (t) => {
  for (const name of COMPONENTS) {
    for (const f of ['detect', 'build']) {
      const p = join(SAMPLES.buildpack(name), 'bin', f)
      t.ok(statSync(p).mode & 0o100, `${name}/bin/${f} is executable`)
      t.match(readFileSync(p, 'utf8'), name === 'sh-only' ? /^#!\/bin\/sh\n/ : /^#!\/bin\/bash\n/, `${name}/bin/${f} shebang`)
      const r = spawnSync('bash', ['-n', p], { encoding: 'utf8' })
      t.equal(r.status, 0, `bash -n ${name}/bin/${f} ${r.stderr}`)
    }
  }
  const greet = join(SAMPLES.buildpack('base'), 'files/greet')
  t.ok(statSync(greet).mode & 0o100, 'greet is executable')
  t.match(readFileSync(greet, 'utf8'), /^#!\/bin\/sh\n/)
  if (BUSYBOX) t.equal(spawnSync(BUSYBOX, ['sh', '-n', greet]).status, 0, 'busybox sh -n greet')
})

t.test('detect: exit codes and plans', async (t) => {
  const dir = tmp(t)
  const want: Record<string, number> = {
    'base': 0, 'deps': 0, 'procs': 0, 'optional-fails': 100, 'optional-errors': 1, 'fails-build': 0, 'bad-layer-toml': 0,
    'bad-process': 0, 'never': 100, 'detect-error': 2, 'old-api': 0, 'version-require': 0, 'writes-outside': 0, 'sh-only': 0, 'net-probe': 0,
  }
  for (const name of COMPONENTS) {
    const { r, plan } = runDetectScript(name, dir)
    t.equal(r.code, want[name], `${name} exits ${want[name]}`)
    if (name === 'version-require') {
      t.throws(() => parseDetectPlan(plan), /version/, 'top-level requires.version is rejected')
    } else if (r.code === 0) {
      parseDetectPlan(plan)
    }
  }
  const deps = parseDetectPlan(runDetectScript('deps', dir).plan)
  t.same(deps.requires.map((x) => x.name), ['base', 'lading-test-unavailable'], 'top-level option cannot resolve')
  t.same(deps.or.map((o) => [o.provides.map((x) => x.name), o.requires.map((x) => x.name)]), [[['deps'], ['base', 'deps']]])
  // API 0.8 buildpacks may still read the positional plan path.
  const planPath = join(dir, 'positional.toml')
  writeFileSync(planPath, '')
  const r = run(join(SAMPLES.buildpack('base'), 'bin/detect'), [dir, planPath], { cwd: dir, env: { PATH: process.env['PATH'] ?? '' } })
  t.equal(r.code, 0)
  t.same(parseDetectPlan(readFileSync(planPath, 'utf8')).provides, [{ name: 'base' }])
})

async function sampleLookup(): Promise<(id: string, version?: string) => BuildpackDescriptor> {
  const all = new Map<string, BuildpackDescriptor>()
  for (const n of NAMES.filter((x) => x !== 'old-api')) {
    const d = await readBuildpackDescriptor(SAMPLES.buildpack(n))
    all.set(d.id, d)
  }
  return (id) => {
    const d = all.get(id)
    if (!d) throw new Error(`unknown buildpack ${id}`)
    return d
  }
}

t.test('order.toml and the meta group resolve through lading detect with the real bin/detect', async (t) => {
  const dir = tmp(t)
  const lookup = await sampleLookup()
  const runDetect = async (bp: BuildpackDescriptor): Promise<DetectOutcome> => {
    const name = bp.id.slice('lading-test/'.length) as SampleBuildpackName
    const { r, plan } = runDetectScript(name, dir)
    const out: DetectOutcome = { code: r.code ?? -1, output: r.stdout + r.stderr }
    if (r.code === 0) {
      try {
        out.plan = parseDetectPlan(plan)
      } catch (err) {
        out.error = (err as Error).message
      }
    }
    return out
  }
  const order = parseOrder(readFileSync(SAMPLES.orderFile, 'utf8'))
  t.equal(order.order.length, 2)
  const res = await detect(order.order, lookup, runDetect)
  if (!res.ok) throw new Error(`detect failed: ${JSON.stringify(res.rows)}`)
  t.same(res.group.map((g) => g.id), EXPECTED.group)
  const providers = Object.fromEntries(res.plan.map((e) => [e.requires[0]?.name, e.providers.map((p) => p.id)]))
  t.same(providers, EXPECTED.plan)
  const status = Object.fromEntries(res.rows.map((r) => [r.id, r.status]))
  t.equal(status['lading-test/never'], 'fail')
  t.equal(status['lading-test/optional-errors'], 'error')
  t.equal(status['lading-test/optional-fails'], 'fail')

  const project = parseProject(readFileSync(join(SAMPLES.apps.hello, 'project.toml'), 'utf8'))
  const fromProject = await detect([{ group: project.buildpacks.map((b) => ({ id: b.id ?? '', version: b.version })) }], lookup, runDetect)
  t.same(fromProject.ok && fromProject.group.map((g) => g.id), EXPECTED.group, 'hello project group resolves the same')
  for (const [name, code] of [['never', 20], ['detect-error', 21], ['version-require', 21]] as const) {
    const r = await detect([{ group: [{ id: sampleId(name) }] }], lookup, runDetect)
    t.same(r.ok ? 'ok' : r.exitCode, code, `${name} alone → ${code}`)
  }
  const alone = await detect([{ group: [{ id: 'lading-test/base' }] }], lookup, runDetect)
  t.ok(alone.ok, 'base resolves alone (it requires what it provides)')
})

t.test('base build: tools layer, env files, greet', async (t) => {
  const root = tmp(t)
  const bad = runBuildScript('base', root)
  t.equal(bad.r.code, 1, 'refuses a plan without "base"')
  t.match(bad.r.stderr, /no "base" entry/)
  const { r, layers } = runBuildScript('base', root, { plan: '[[entries]]\nname = "base"\n' })
  t.equal(r.code, 0, r.stderr)
  const meta = parseLayerMetadata(readFileSync(join(layers, 'tools.toml'), 'utf8'), 'tools.toml')
  t.same(meta.types, { launch: true, build: true, cache: false })
  t.same(meta.metadata, { version: '1' })
  const env = (p: string): string => readFileSync(join(layers, 'tools', p), 'utf8')
  t.equal(env('env/GREETING.default'), 'Hello')
  t.equal(env('env/PATH_EXTRA.prepend'), 'base')
  t.equal(env('env/PATH_EXTRA.delim'), ':')
  t.equal(env('env.launch/APP_MODE.override'), 'production')
  t.equal(env('env.build/BUILD_ONLY.override'), 'base-build')
  t.equal(env('env.launch/web/WEB_ONLY'), 'yes')
  t.ok(statSync(join(layers, 'tools/bin/greet')).mode & 0o111, 'greet is executable in the layer')
})

/** Rewrites a layers dir the way the restorer leaves it before the next build (cnb-spec §5.2). */
function simulateRestore(layers: string): void {
  const restored = (name: string): void => {
    const m = parseLayerMetadata(readFileSync(join(layers, `${name}.toml`), 'utf8'), `${name}.toml`)
    writeFileSync(join(layers, `${name}.toml`), formatRestoredLayerMetadata(m.metadata))
  }
  restored('deps') // launch + cache: metadata and data
  restored('compile-cache') // cache only: metadata and data
  restored('launch-meta') // launch only: metadata, no data
  rmSync(join(layers, 'launch-meta'), { recursive: true, force: true })
  rmSync(join(layers, 'build-only'), { recursive: true, force: true }) // build only: nothing
  rmSync(join(layers, 'build-only.toml'), { force: true })
  const store = TOML.parse(readFileSync(join(layers, 'store.toml'), 'utf8')) as { metadata: TOML.JsonMap }
  writeFileSync(join(layers, 'store.toml'), formatStoreToml(store.metadata))
}

t.test('deps build: layers of every type, then a rebuild that reuses them', async (t) => {
  const root = tmp(t)
  const first = runBuildScript('deps', root)
  t.equal(first.r.code, 0, first.r.stderr)
  const layers = first.layers
  t.same(first.r.stdout.trim().split('\n'), EXPECTED.buildLog.first)
  const types = (n: string): unknown => parseLayerMetadata(readFileSync(join(layers, `${n}.toml`), 'utf8'), n).types
  t.same(types('deps'), { launch: true, build: false, cache: true })
  t.same(types('launch-meta'), { launch: true, build: false, cache: false })
  t.same(types('compile-cache'), { launch: false, build: false, cache: true })
  t.same(types('build-only'), { launch: false, build: true, cache: false })
  t.same(readToml(join(layers, 'deps.toml'))['metadata'], { 'version': '1', 'size-mb': '1', 'seed': '0' })
  const bin = join(layers, 'deps/share/deps.bin')
  t.equal(statSync(bin).size, EXPECTED.depsBytes(1))
  t.equal(readFileSync(join(layers, 'deps/env/PATH_EXTRA.prepend'), 'utf8'), 'deps')
  t.equal(readFileSync(join(layers, 'launch-meta/env.launch/LAUNCH_META.override'), 'utf8'), 'v1')
  t.equal(readFileSync(join(layers, 'compile-cache/count'), 'utf8'), '1\n')
  t.same(readToml(join(layers, 'store.toml')), { metadata: { builds: 1 } })
  const tool = run(join(layers, 'build-only/bin/deps-tool'), [], { cwd: root, env: { PATH: '/usr/bin:/bin' } })
  t.match(tool.stdout, /^deps-tool: ok/)
  const before = statSync(bin)

  simulateRestore(layers)
  const second = runBuildScript('deps', root)
  t.equal(second.r.code, 0, second.r.stderr)
  t.same(second.r.stdout.trim().split('\n'), EXPECTED.buildLog.rebuild)
  const after = statSync(bin)
  t.same([after.ino, after.mtimeMs], [before.ino, before.mtimeMs], 'deps data not regenerated')
  t.notOk(existsSync(join(layers, 'launch-meta')), 'launch-meta has no directory on reuse')
  t.same(readToml(join(layers, 'launch-meta.toml')), { types: { launch: true }, metadata: { version: '1' } })
  t.same(types('deps'), { launch: true, build: false, cache: true }, 'types written again')
  t.equal(readFileSync(join(layers, 'compile-cache/count'), 'utf8'), '2\n')
  t.same(readToml(join(layers, 'store.toml')), { metadata: { builds: 1 } }, 'store kept: same image digest')

  simulateRestore(layers)
  const third = runBuildScript('deps', root, { env: { BP_COUNT_BUILDS: 'true' } })
  t.match(third.r.stdout, EXPECTED.buildLog.compileCacheRestored(3))
  t.same(readToml(join(layers, 'store.toml')), { metadata: { builds: 2 } }, 'BP_COUNT_BUILDS increments')

  simulateRestore(layers)
  const bigger = runBuildScript('deps', root, { env: { BP_DEPS_SIZE_MB: '2' } })
  t.match(bigger.r.stdout, 'deps: generating 2 MiB', 'a size change regenerates')
  t.equal(statSync(bin).size, EXPECTED.depsBytes(2))
})

t.test('deps data: deterministic, seedable, incompressible; both generators', async (t) => {
  const digest = (env: Record<string, string>): { sum: string; ratio: number } => {
    const root = tmp(t)
    const { r, layers } = runBuildScript('deps', root, { env })
    t.equal(r.code, 0, r.stderr)
    const p = join(layers, 'deps/share/deps.bin')
    const data = readFileSync(p)
    return { sum: sha256(p), ratio: gzipSync(data, { level: 6 }).length / data.length }
  }
  const a = digest({})
  const b = digest({})
  t.equal(a.sum, b.sum, 'same bytes every build')
  t.ok(a.ratio > 0.99, `gzip cannot shrink it (${a.ratio})`)
  t.not(digest({ BP_DEPS_SEED: '7' }).sum, a.sum, 'the seed changes the bytes')
  const fallback = digest({ BP_DEPS_GENERATOR: 'sha512', BP_DEPS_SIZE_MB: '2' })
  t.ok(fallback.ratio > 0.99, `sha512 fallback is incompressible too (${fallback.ratio})`)
  const root = tmp(t)
  const bad = runBuildScript('deps', root, { env: { BP_DEPS_SIZE_MB: 'lots' } })
  t.equal(bad.r.code, 1)
  t.match(bad.r.stderr, /BP_DEPS_SIZE_MB/)
})

t.test('procs build: proves the build env, writes launch.toml and an SBOM', async (t) => {
  const root = tmp(t)
  runBuildScript('base', root, { plan: '[[entries]]\nname = "base"\n' })
  runBuildScript('deps', root)
  const L = join(root, 'layers')
  // The env a lifecycle gives the next buildpack: bin/ of build layers on PATH, env/ + env.build/.
  const good = {
    PATH: `${L}/lading-test_deps/build-only/bin:${L}/lading-test_base/tools/bin:${process.env['PATH'] ?? ''}`,
    GREETING: 'Hello', PATH_EXTRA: 'base', BUILD_ONLY: 'base-build',
  }
  const { r, layers } = runBuildScript('procs', root, { env: good })
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /deps-tool: ok/)
  const launch = parseLaunchToml(readFileSync(join(layers, 'launch.toml'), 'utf8'), 'launch.toml', { id: 'lading-test/procs', api: '0.11' })
  t.same(launch.processes.map((p) => p.type).sort(), EXPECTED.processes)
  const web = launch.processes.find((p) => p.default)
  t.same([web?.type, web?.command, web?.args, web?.workingDir], ['web', ['greet'], ['world'], '/workspace'])
  t.same(launch.processes.find((p) => p.type === 'worker')?.command, ['sh', '-c', 'echo worker $APP_MODE $GREETING'])
  t.same(Object.fromEntries(launch.labels.map((l) => [l.key, l.value])), EXPECTED.labels)
  t.same(launch.slices.map((s) => s.paths), EXPECTED.slices)
  const sbom = JSON.parse(readFileSync(join(layers, 'launch.sbom.cdx.json'), 'utf8')) as { bomFormat: string }
  t.equal(sbom.bomFormat, 'CycloneDX')

  const cases: [string, Record<string, string>, RegExp][] = [
    ['no deps-tool', { ...good, PATH: process.env['PATH'] ?? '' }, /deps-tool is not on PATH/],
    ['no BUILD_ONLY', { ...good, BUILD_ONLY: '' }, /BUILD_ONLY/],
    ['launch env leaked', { ...good, APP_MODE: 'production' }, /APP_MODE is set at build time/],
  ]
  for (const [what, env, msg] of cases) {
    const bad = runBuildScript('procs', tmp(t), { env })
    t.equal(bad.r.code, 1, what)
    t.match(bad.r.stderr, msg, what)
  }
})

t.test('failure samples', async (t) => {
  const fb = runBuildScript('fails-build', tmp(t))
  t.equal(fb.r.code, 3)
  t.match(fb.r.stderr, EXPECTED.failures['fails-build'].text)

  const both = runBuildScript('bad-layer-toml', tmp(t))
  t.equal(both.r.code, 0)
  const broken = readFileSync(join(both.layers, 'broken.toml'), 'utf8')
  t.throws(() => TOML.parse(broken), 'broken.toml is not TOML')
  t.throws(() => parseLayerMetadata(broken, 'broken.toml'))
  const top = readFileSync(join(both.layers, 'top-level.toml'), 'utf8')
  t.equal((TOML.parse(top) as Toml)['launch'], true, 'launch at the top level')
  t.throws(() => parseLayerMetadata(top, 'top-level.toml'), /types/)
  const one = runBuildScript('bad-layer-toml', tmp(t), { env: { BP_BAD_LAYER: 'malformed' } })
  t.same([existsSync(join(one.layers, 'broken.toml')), existsSync(join(one.layers, 'top-level.toml'))], [true, false])
  const two = runBuildScript('bad-layer-toml', tmp(t), { env: { BP_BAD_LAYER: 'top-level' } })
  t.same([existsSync(join(two.layers, 'broken.toml')), existsSync(join(two.layers, 'top-level.toml'))], [false, true])

  const bp = runBuildScript('bad-process', tmp(t))
  t.equal(bp.r.code, 0)
  const launch = parseLaunchToml(readFileSync(join(bp.layers, 'launch.toml'), 'utf8'), 'launch.toml', { id: 'lading-test/bad-process', api: '0.10' })
  t.same(launch.processes.map((p) => [p.type, p.command, p.default]), [['web', ['does-not-exist'], true]])
})

t.test('launch-time scripts run under busybox sh with only the run image applets', { skip: BUSYBOX ? false : 'busybox not installed' }, async (t) => {
  const dir = tmp(t)
  const bb = join(dir, 'bb')
  mkdirSync(bb)
  for (const a of ['sh', 'cat', 'echo', 'ls', 'env', 'id']) symlinkSync(BUSYBOX as string, join(bb, a))
  const app = join(dir, 'workspace')
  cpSync(SAMPLES.apps.hello, app, { recursive: true })
  const greet = join(SAMPLES.buildpack('base'), 'files/greet')
  const launchEnv = { PATH: bb, GREETING: 'Hello', APP_MODE: 'production', WEB_ONLY: 'yes', PROFILE_SOURCED: 'yes' }
  const web = run(join(bb, 'sh'), [greet, 'world'], { cwd: app, env: launchEnv })
  t.equal(web.stderr, '')
  t.equal(web.stdout, webOutput({ cwd: app, message: EXPECTED.messages.hello, profile: 'yes' }))
  const alice = run(join(bb, 'sh'), [greet, ...EXPECTED.webWithArgs.args], { cwd: dir, env: launchEnv })
  t.equal(alice.stdout, webOutput({ name: 'alice', cwd: dir, profile: 'yes' }), 'no message.txt, no message line')
  const worker = run(join(bb, 'sh'), ['-c', 'echo worker $APP_MODE $GREETING'], { cwd: app, env: launchEnv })
  t.equal(worker.stdout, EXPECTED.worker.stdout)
  const profile = run(join(bb, 'sh'), ['-c', '. ./.profile; echo "$PROFILE_SOURCED"'], { cwd: app, env: { PATH: bb } })
  t.equal(profile.stdout, 'yes\n', '.profile works in busybox sh')
  const root = tmp(t)
  const { layers } = runBuildScript('deps', root)
  const tool = run(join(bb, 'sh'), [join(layers, 'build-only/bin/deps-tool')], { cwd: dir, env: { PATH: bb } })
  t.match(tool.stdout, /^deps-tool: ok/)
})

t.test('sample apps and their project.toml files', async (t) => {
  const hello = parseProject(readFileSync(join(SAMPLES.apps.hello, 'project.toml'), 'utf8'))
  t.equal(hello.schemaVersion, '0.2')
  t.same(hello.buildpacks, [{ id: 'lading-test/meta', version: '0.0.1' }])
  t.same(hello.env, { BP_DEPS_SIZE_MB: '1' })
  t.ok(hello.exclude?.includes('*.log'))
  for (const f of ['README.md', '.profile', 'message.txt', 'ignored.log', 'static/index.html', 'static/app.css', ...EXPECTED.excluded.hello]) {
    t.ok(existsSync(join(SAMPLES.apps.hello, f)), `hello/${f}`)
  }
  const legacy = parseProject(readFileSync(join(SAMPLES.apps.legacyProject, 'project.toml'), 'utf8'))
  t.equal(legacy.schemaVersion, '0.1')
  t.same(legacy.buildpacks.map((b) => readToml(join(SAMPLES.apps.legacyProject, b.uri ?? '', 'buildpack.toml'))['buildpack']),
    ['base', 'deps', 'procs'].map((n) => ({ ...(readToml(join(SAMPLES.buildpack(n as SampleBuildpackName), 'buildpack.toml'))['buildpack'] as Toml) })),
    'uris are relative to the app dir')
  t.ok(legacy.include?.length)
  t.ok(existsSync(join(SAMPLES.apps.legacyProject, 'notes.md')))
  const bench = parseProject(readFileSync(join(SAMPLES.apps.bench, 'project.toml'), 'utf8'))
  t.same(bench.buildpacks, [{ id: 'lading-test/meta', version: '0.0.1' }])
  t.same(bench.env, {}, 'the benchmark sets BP_DEPS_SIZE_MB')
  t.ok(readdirSync(join(SAMPLES.apps.bench, 'src')).length >= 4)
  for (const [app, key] of [[SAMPLES.apps.hello, 'hello'], [SAMPLES.apps.legacyProject, 'legacyProject'], [SAMPLES.apps.bench, 'bench']] as const) {
    t.equal(readFileSync(join(app, 'message.txt'), 'utf8'), `${EXPECTED.messages[key]}\n`, `${key} message`)
    t.ok(readdirSync(join(app, 'static')).length > 0, `${key} has files for the static/* slice`)
  }
  t.equal(EXPECTED.web.stdout, webOutput({ message: EXPECTED.messages.hello }))
})
