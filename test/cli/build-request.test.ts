// Tests for lib/cli/build-request.ts: flags, project.toml and defaults become one BuildRequest.
import t from 'tap'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { makeBaseImages, SAMPLES, type BaseImages } from '../../registry-fixtures/index.js'
import { parseCommandArgs } from '../../lib/cli/args.js'
import { buildRequestFromFlags } from '../../lib/cli/build-request.js'
import { buildCommand } from '../../lib/cli/commands/build.js'
import { CommandContext } from '../../lib/cli/context.js'
import { Output } from '../../lib/cli/output.js'

let work = ''
let base: BaseImages
t.before(async () => {
  work = await mkdtemp(join(tmpdir(), 'lading-build-request-'))
  base = await makeBaseImages(join(work, 'base'))
})
t.teardown(() => rm(work, { recursive: true, force: true }))

const flags = { insecureRegistries: [], caCerts: [], quiet: true, json: false, help: false, version: false, verbose: false }
const context = (signal?: AbortSignal): CommandContext =>
  new CommandContext(new Output({ stdout: new PassThrough(), stderr: new PassThrough() }, {}), flags, signal ? { signal } : {})
const prepare = (argv: string[], ctx = context()) =>
  buildRequestFromFlags(ctx, parseCommandArgs(argv, 'build', buildCommand.options), argv[0]!)

t.test('plain flags: only what was given is set, absent options are absent keys', async (t) => {
  const out = `oci:${join(work, 'out')}:app`
  const { request, builder, fetched } = await prepare([out, '--path', SAMPLES.apps.hello, '--buildpacks-dir', SAMPLES.buildpacksDir, '--run-image', base.runV1])
  t.equal(builder, undefined)
  t.same(fetched, { layersFetched: 0, bytesFetched: 0, layersCached: 0, layers: [] })
  t.equal(request.appDir, SAMPLES.apps.hello)
  t.same(request.targets.map((x) => x.refs), [[out]])
  t.equal(request.run.name, base.runV1)
  t.same(request.run.mirrors, [])
  t.equal(request.launcher, 'sh')
  t.equal(request.sandbox, true)
  t.equal(request.clearCache, false)
  t.equal(request.concurrency, 4)
  for (const k of ['cache', 'stashDir', 'rootfs', 'processType', 'buildConfigEnvDir', 'signal', 'dirs']) t.notOk(k in request, `no ${k} key`)
  t.ok(request.order.length > 0, 'an order from the buildpacks dir')
})

t.test('cache, process type, signal and --no-sandbox reach the request', async (t) => {
  const ac = new AbortController()
  const { request } = await prepare([`oci:${join(work, 'out2')}:app`, '--path', SAMPLES.apps.hello, '--buildpacks-dir', SAMPLES.buildpacksDir,
    '--run-image', base.runV1, '--cache-dir', join(work, 'cache'), '--process-type', 'web', '--no-sandbox', '--launcher', 'none', '--clear-cache'], context(ac.signal))
  t.ok(request.cache)
  t.match(request.stashDir, /stash[/\\][0-9a-f]{16}$/)
  t.equal(request.processType, 'web')
  t.equal(request.signal, ac.signal)
  t.equal(request.sandbox, false)
  t.equal(request.launcher, 'none')
  t.equal(request.clearCache, true)
  t.same(request.dirs, { root: '/', workspace: '/workspace', layers: '/layers', platform: '/platform' })
})

t.test('project.toml include/exclude become the app filter', async (t) => {
  const app = join(work, 'app')
  await mkdir(app, { recursive: true })
  await writeFile(join(app, 'project.toml'), '[_]\nschema-version = "0.2"\n[io.buildpacks]\nexclude = ["*.log"]\n')
  const { request } = await prepare([`oci:${join(work, 'out3')}:app`, '--path', app, '--buildpack', SAMPLES.buildpack('base'), '--run-image', base.runV1])
  t.strictSame(request.appFilter, { exclude: ['*.log'] })
})

t.test('usage errors come first', async (t) => {
  await t.rejects(prepare([`oci:${join(work, 'o')}:x`, '--run-image', base.runV1, '--launcher', 'bash']), { code: 'ERR_USAGE', message: /--launcher must be sh or none/ })
  await t.rejects(prepare([`oci:${join(work, 'o')}:x`, '--cache-image', 'oci:/tmp/c', '--cache-dir', '/tmp/c']), { code: 'ERR_USAGE', message: /exclude each other/ })
})
