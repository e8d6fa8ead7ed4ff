import t from 'tap'
import { cp, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  startRegistry, makeBaseImages, pushBaseImages, podmanRun, skopeoInspect, SAMPLES, EXPECTED, type RegistryFixture, type FaultProxy,
} from '../../registry-fixtures/index.js'
import { runCli } from '../helpers/cli.js'
import { registryEnv } from '../helpers/registry-env.js'

let reg: RegistryFixture
let proxy: FaultProxy
let work: string
let app: string

t.before(async () => {
  ;({ work, reg, proxy } = await registryEnv(t, { name: 'it-build' }))
  app = join(work, 'hello')
  await cp(SAMPLES.apps.hello, app, { recursive: true })
})

const build = (image: string, extra: string[] = []) => runCli([
  'build', image, '--path', app, '--buildpacks-dir', SAMPLES.buildpacksDir, '--run-image', `${proxy.host}/run:v1`,
  '--cache-image', `${proxy.host}/app-cache:latest`, '--json', ...extra,
])

const layerBytesUploaded = (from: number): number => proxy.requests.slice(from)
  .filter((q) => /\/blobs\/uploads\//.test(q.path) && (q.method === 'PATCH' || q.method === 'PUT') && !/app-cache/.test(q.path))
  .reduce((n, q) => n + q.bytesIn, 0)

t.test('first build: published, runnable by podman, labels as the lifecycle writes them', async (t) => {
  const r = await build(`${proxy.host}/app:1`)
  t.equal(r.code, 0, r.stderr)
  const out = JSON.parse(r.stdout)
  t.same(out.group.map((g: { id: string }) => g.id), EXPECTED.group)
  for (const line of EXPECTED.buildLog.first) t.match(r.stderr, line)
  const image = `${reg.host}/app:1`
  const web = await podmanRun(image)
  t.equal(web.stdout, EXPECTED.web.stdout, web.stderr)
  const alice = await podmanRun(image, { args: [...EXPECTED.webWithArgs.args] })
  t.equal(alice.stdout, EXPECTED.webWithArgs.stdout)
  const worker = await podmanRun(image, { entrypoint: EXPECTED.worker.entrypoint })
  t.equal(worker.stdout, EXPECTED.worker.stdout, worker.stderr)
  const env = await podmanRun(image, { entrypoint: EXPECTED.env.entrypoint })
  const lines = env.stdout.split('\n')
  for (const l of EXPECTED.env.lines) t.ok(lines.includes(l), `env has ${l}`)
  for (const n of EXPECTED.env.absent) t.notOk(lines.some((l) => l.startsWith(`${n}=`)), `env lacks ${n}`)
  const ls = await podmanRun(image, { entrypoint: '/bin/ls', args: ['-a', '/workspace'] })
  for (const f of EXPECTED.excluded.hello) t.notMatch(ls.stdout, new RegExp(`^${f.replace('.', '\\.')}$`, 'm'), `${f} excluded`)

  const info = await skopeoInspect(image) as { Labels: Record<string, string>; Layers: string[] }
  const md = JSON.parse(info.Labels['io.buildpacks.lifecycle.metadata']!)
  const cfg = JSON.parse((await runCli(['config', image])).stdout)
  const runCfg = JSON.parse((await runCli(['config', `${reg.host}/run:v1`])).stdout)
  const diffIds: string[] = cfg.rootfs.diff_ids
  t.equal(md.runImage.topLayer, runCfg.rootfs.diff_ids.at(-1), 'topLayer is the run image top layer')
  t.same(diffIds.slice(0, runCfg.rootfs.diff_ids.length), runCfg.rootfs.diff_ids, 'run image layers first, untouched')
  t.match(md.runImage.reference, /@sha256:[0-9a-f]{64}$/)
  t.same(md.stack.runImage.image, md.runImage.image)
  for (const sha of [...md.app.map((a: { sha: string }) => a.sha), md.config.sha, md.launcher.sha, md['process-types'].sha]) t.ok(diffIds.includes(sha), `${sha} in diff_ids`)
  t.equal(md.app.length, EXPECTED.appLayerCount)
  const env0: string[] = cfg.config.Env
  t.ok(env0.includes('CNB_PLATFORM_API=0.13'))
  t.ok(env0.some((e) => e.startsWith('PATH=/cnb/process:/cnb/lifecycle:')))
  t.same(cfg.config.Entrypoint, ['/cnb/process/web'])
  t.equal(cfg.config.WorkingDir, '/workspace')
  t.equal(cfg.config.User, runCfg.config.User)
  t.equal(cfg.config.Labels['io.buildpacks.stack.id'], runCfg.config.Labels['io.buildpacks.stack.id'])
  t.equal(cfg.config.Labels['io.lading.test.procs'], EXPECTED.labels['io.lading.test.procs'])
  const bm = JSON.parse(cfg.config.Labels['io.buildpacks.build.metadata'])
  t.same(bm.processes.map((p: { type: string }) => p.type), EXPECTED.processes)
  t.equal(cfg.created, '1980-01-01T00:00:01Z')
})

t.test('rebuild with no change: zero layer bytes uploaded, same digest, layers reused', async (t) => {
  const before = (await runCli(['digest', `${reg.host}/app:1`])).stdout.trim()
  const mark = proxy.requests.length
  const r = await build(`${proxy.host}/app:1`)
  t.equal(r.code, 0, r.stderr)
  const out = JSON.parse(r.stdout)
  t.equal(out.digest, before, 'same digest')
  t.equal(layerBytesUploaded(mark), 0, 'no byte uploaded to the app repository')
  t.equal(out.transfer.bytesUploaded, 0)
  for (const line of EXPECTED.buildLog.rebuild) t.match(r.stderr, line)
  t.ok(out.reused.includes('lading-test/deps/launch-meta'), 'launch-only layer reused by digest')
  t.ok(out.restored.fromCache.includes('lading-test/deps/compile-cache'), 'cache-only layer restored from the cache image')
  t.ok(out.bytesDownloaded < 64 * 1024, `cached layers came back from the local stash, not downloaded (${out.bytesDownloaded} bytes read)`)
  const env = await podmanRun(`${reg.host}/app:1`, { entrypoint: 'env' })
  t.match(env.stdout, /^LAUNCH_META=v1$/m, 'env of the reused layer still applied')
})

t.test('changing only the app uploads only the app layer and the config', async (t) => {
  await writeFile(join(app, 'message.txt'), 'changed message\n')
  const cfgBefore = JSON.parse((await runCli(['config', `${reg.host}/app:1`])).stdout)
  const mark = proxy.requests.length
  const r = await build(`${proxy.host}/app:1`)
  t.equal(r.code, 0, r.stderr)
  const out = JSON.parse(r.stdout)
  t.equal(out.transfer.blobsUploaded, 2, 'one app layer + config')
  const cfgAfter = JSON.parse((await runCli(['config', `${reg.host}/app:1`])).stdout)
  const changed = cfgAfter.rootfs.diff_ids.filter((d: string) => !cfgBefore.rootfs.diff_ids.includes(d))
  t.equal(changed.length, 1, 'one layer changed')
  t.ok(layerBytesUploaded(mark) < 64 * 1024, 'no dependency layer bytes moved')
  const web = await podmanRun(`${reg.host}/app:1`)
  t.match(web.stdout, /changed message/)
})

t.test('a build failure pushes nothing and moves no tag', async (t) => {
  const before = (await runCli(['digest', `${reg.host}/app:1`])).stdout
  const r = await runCli(['build', `${proxy.host}/app:1`, '--path', app, '--buildpack', SAMPLES.buildpack('fails-build'), '--run-image', `${proxy.host}/run:v1`])
  t.equal(r.code, EXPECTED.failures['fails-build'].exitCode, r.stderr)
  t.match(r.stderr, EXPECTED.failures['fails-build'].text)
  t.equal((await runCli(['digest', `${reg.host}/app:1`])).stdout, before)
  const unreachable = await runCli(['build', `${proxy.host}/app:1`, '--path', app, '--buildpacks-dir', SAMPLES.buildpacksDir, '--run-image', '127.0.0.1:9/run:v1'])
  t.ok(unreachable.code >= 30 && unreachable.code < 40, `analyze exit code (${unreachable.code})`)
  t.match(unreachable.stderr, /run image 127\.0\.0\.1:9\/run:v1/)
})

t.test('a run image mirror in the target registry is used: its layers are mounted, the label names both', async (t) => {
  const other = await startRegistry({ variant: 'http' })
  t.teardown(() => other.stop())
  const base = await makeBaseImages(join(work, 'base-other'))
  await pushBaseImages(base.layout, other.host)
  const mark = proxy.requests.length
  const r = await runCli(['build', `${proxy.host}/mirrored:1`, '--path', app, '--buildpacks-dir', SAMPLES.buildpacksDir,
    '--run-image', `${other.host}/run:v1`, '--run-image-mirror', `${proxy.host}/run:v1`, '--json'])
  t.equal(r.code, 0, r.stderr)
  const runLayers: { digest: string; size: number }[] = JSON.parse((await runCli(['manifest', `${reg.host}/run:v1`])).stdout).layers
  const runBytes = runLayers.reduce((n, l) => n + l.size, 0)
  t.ok(JSON.parse(r.stdout).transfer.bytesMounted >= runBytes, 'run image layers mounted from the mirror')
  const md = JSON.parse(JSON.parse((await runCli(['config', `${reg.host}/mirrored:1`])).stdout).config.Labels['io.buildpacks.lifecycle.metadata'])
  t.equal(md.runImage.image, `${other.host}/run:v1`)
  t.same(md.runImage.mirrors, [`${proxy.host}/run:v1`])
  t.ok(layerBytesUploaded(mark) < runBytes + 2 * 1024 * 1024, 'the run image was not uploaded again')
})
