import t from 'tap'
import { cp, mkdir, mkdtemp, rm, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { makeBaseImages, podmanRun, umociUnpack, SAMPLES, EXPECTED, type BaseImages } from '../../registry-fixtures/index.js'
import { runCli } from '../helpers/cli.js'

let work: string
let base: BaseImages

t.before(async () => {
  work = await mkdtemp(join(tmpdir(), 'lading-it-build-layout-'))
  base = await makeBaseImages(join(work, 'base'))
})
t.teardown(() => rm(work, { recursive: true, force: true }))

const buildArgs = (image: string, app: string, extra: string[] = []) => [
  'build', image, '--path', app, '--buildpacks-dir', SAMPLES.buildpacksDir, '--run-image', base.runV1, '--json', ...extra,
]

t.test('OCI layout output (no registry): same inputs give the same digest; cache dir restores the cache-only layer', async (t) => {
  const cacheDir = join(work, 'cache')
  const a = await runCli(buildArgs(`oci:${join(work, 'out-a')}:app`, SAMPLES.apps.hello, ['--cache-dir', cacheDir]))
  t.equal(a.code, 0, a.stderr)
  const b = await runCli(buildArgs(`oci:${join(work, 'out-b')}:app`, SAMPLES.apps.hello))
  t.equal(b.code, 0, b.stderr)
  t.equal(JSON.parse(a.stdout).digest, JSON.parse(b.stdout).digest, 'deterministic across output locations')
  const second = await runCli(buildArgs(`oci:${join(work, 'out-a')}:app`, SAMPLES.apps.hello, ['--cache-dir', cacheDir]))
  t.equal(second.code, 0, second.stderr)
  t.match(second.stderr, EXPECTED.buildLog.compileCacheRestored(2))
  t.match(second.stderr, 'deps: reusing cached layer')
  const out = JSON.parse(second.stdout)
  t.ok(out.restored.fromCache.includes('lading-test/deps/compile-cache'))
  const cleared = await runCli(buildArgs(`oci:${join(work, 'out-a')}:app`, SAMPLES.apps.hello, ['--cache-dir', cacheDir, '--clear-cache']))
  t.equal(cleared.code, 0, cleared.stderr)
  t.match(cleared.stderr, 'compile-cache: fresh', '--clear-cache ignores the cache')
  const run = await podmanRun(`oci:${join(work, 'out-a')}:app`)
  t.equal(run.stdout, EXPECTED.web.stdout, run.stderr)
  const bundle = join(work, 'bundle')
  await umociUnpack(join(work, 'out-a'), 'app', bundle)
  t.ok((await readFile(join(bundle, 'rootfs', 'layers', 'config', 'metadata.toml'), 'utf8')).includes('[[processes]]'))
})

t.test('legacy project.toml with buildpacks by uri; --order; --report', async (t) => {
  const app = join(work, 'legacy')
  await cp(SAMPLES.apps.legacyProject, app, { recursive: true })
  const r = await runCli(['build', `oci:${join(work, 'out-legacy')}:x`, '--path', SAMPLES.apps.legacyProject, '--run-image', base.runV1, '--report', join(work, 'report.toml')])
  t.equal(r.code, 0, r.stderr)
  const report = await readFile(join(work, 'report.toml'), 'utf8')
  t.match(report, `digest = "${r.stdout.trim()}"`)
  t.match(report, /manifest-size = \d+\n/)
  const run = await podmanRun(`oci:${join(work, 'out-legacy')}:x`)
  t.match(run.stdout, EXPECTED.messages.legacyProject)
  const ord = await runCli(['build', `oci:${join(work, 'out-order')}:x`, '--path', SAMPLES.apps.bench, '--buildpacks-dir', SAMPLES.buildpacksDir, '--order', SAMPLES.orderFile, '--run-image', base.runV1, '--json'])
  t.equal(ord.code, 0, ord.stderr)
  t.same(JSON.parse(ord.stdout).group.map((g: { id: string }) => g.id), EXPECTED.group, 'the second order group resolved')
})

t.test('project.toml inline buildpack with a post group: built in the sandbox, its process runs in podman', async (t) => {
  const app = join(work, 'inline-app')
  await mkdir(app)
  await writeFile(join(app, 'message.txt'), 'from the inline app\n')
  await writeFile(join(app, 'project.toml'), [
    '[_]', 'schema-version = "0.2"', '',
    '[[io.buildpacks.group]]', 'id = "lading-test/inline"', 'version = "0.1.0"',
    '[io.buildpacks.group.script]', 'api = "0.10"', 'shell = "/bin/sh"',
    "inline = '''",
    'set -eu',
    'mkdir -p "$CNB_LAYERS_DIR/say/bin"',
    'printf \'#!/bin/sh\\necho "inline says: $(cat /workspace/message.txt)"\\n\' > "$CNB_LAYERS_DIR/say/bin/say"',
    'chmod 755 "$CNB_LAYERS_DIR/say/bin/say"',
    'printf \'[types]\\nlaunch = true\\n\' > "$CNB_LAYERS_DIR/say.toml"',
    'printf \'[[processes]]\\ntype = "web"\\ncommand = ["say"]\\ndefault = true\\n\' > "$CNB_LAYERS_DIR/launch.toml"',
    "'''", '',
    '[[io.buildpacks.post.group]]', 'uri = "' + join(SAMPLES.buildpacksDir, 'sh-only') + '"', '',
  ].join('\n'))
  const r = await runCli(['build', `oci:${join(work, 'out-inline')}:x`, '--path', app, '--run-image', base.runV1, '--json'])
  t.equal(r.code, 0, r.stderr)
  t.same(JSON.parse(r.stdout).group.map((g: { id: string }) => g.id), ['lading-test/inline', 'lading-test/sh-only'])
  const web = await podmanRun(`oci:${join(work, 'out-inline')}:x`, { entrypoint: 'web' })
  t.equal(web.stdout, 'inline says: from the inline app\n', web.stderr)
  const last = await podmanRun(`oci:${join(work, 'out-inline')}:x`)
  t.match(last.stdout, /^hello from a build image buildpack/, 'the post buildpack ran after the group; its default process wins')
})

t.test('--launcher none bakes the default process into the config', async (t) => {
  const r = await runCli(buildArgs(`oci:${join(work, 'out-none')}:x`, SAMPLES.apps.hello, ['--launcher', 'none']))
  t.equal(r.code, 0, r.stderr)
  const cfg = JSON.parse((await runCli(['config', `oci:${join(work, 'out-none')}:x`])).stdout)
  t.equal(cfg.config.Entrypoint[0], 'greet')
  const run = await podmanRun(`oci:${join(work, 'out-none')}:x`)
  t.match(run.stdout, /Hello, world!/, run.stderr)
})

t.test('failing buildpacks: the lifecycle exit code and a message naming the problem', async (t) => {
  for (const [name, want] of Object.entries(EXPECTED.failures)) {
    const r = await runCli(['build', `oci:${join(work, `out-${name}`)}:x`, '--path', SAMPLES.apps.hello, '--buildpack', SAMPLES.buildpack(name as never), '--run-image', base.runV1])
    t.equal(r.code, want.exitCode, `${name}: ${r.stderr}`)
    t.match(r.stderr, want.text, name)
    const tags = await runCli(['tags', `oci:${join(work, `out-${name}`)}`])
    t.not(tags.stdout.trim(), 'x', `${name}: nothing tagged`)
  }
})

t.test('bad flags are usage errors', async (t) => {
  t.equal((await runCli(['build', 'oci:/tmp/x', '--path', SAMPLES.apps.hello])).code, 3, 'no --run-image')
  t.equal((await runCli(['build', 'oci:/tmp/x', '--run-image', base.runV1, '--path', join(work, 'empty-app-none')])).code !== 0, true)
  const both = await runCli(['build', 'oci:/tmp/x', '--run-image', base.runV1, '--cache-dir', '/tmp/a', '--cache-image', 'oci:/tmp/b'])
  t.equal(both.code, 3)
  const bare = join(work, 'bare-app')
  await mkdir(bare, { recursive: true })
  const nobp = await runCli(['build', 'oci:/tmp/x', '--run-image', base.runV1, '--path', bare])
  t.equal(nobp.code, 3, nobp.stderr)
  t.match(nobp.stderr, /--buildpack/)
})

const noSandboxReady = process.getuid?.() === 0 && !(existsSync('/workspace') && readdirSync('/workspace').length > 0)
t.test('--no-sandbox builds in the CNB paths themselves and gives the same image', { skip: noSandboxReady ? false : 'needs root and an empty /workspace' }, async (t) => {
  const { readdir } = await import('node:fs/promises')
  const a = await runCli(buildArgs(`oci:${join(work, 'out-ns')}:a`, SAMPLES.apps.hello, ['--no-sandbox']))
  t.equal(a.code, 0, a.stderr)
  const b = await runCli(buildArgs(`oci:${join(work, 'out-ns')}:b`, SAMPLES.apps.hello))
  t.equal(JSON.parse(a.stdout).digest, JSON.parse(b.stdout).digest, 'sandbox and no-sandbox agree')
  t.same(await readdir('/workspace'), [], '/workspace left empty')
})

t.test('--build-image: buildpacks run on the build image rootfs as its CNB user', async (t) => {
  const out = `oci:${join(work, 'out-bi')}:x`
  const r = await runCli(['build', out, '--path', SAMPLES.apps.bench, '--buildpack', SAMPLES.buildpack('sh-only'), '--run-image', base.runV1, '--build-image', base.build])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stderr, 'sh-only: built in the build image as 1000:1000')
  const run = await podmanRun(out)
  t.equal(run.stdout, 'hello from a build image buildpack, built as uid 1000\n', run.stderr)
})
