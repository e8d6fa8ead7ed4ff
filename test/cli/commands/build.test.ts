import t from 'tap'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { createServer, type AddressInfo } from 'node:net'
import { join } from 'node:path'
import { makeBaseImages, SAMPLES, EXPECTED, type BaseImages } from '../../../registry-fixtures/index.js'
import { openLayout } from '../../../lib/layout/index.js'
import { fetchImage } from '../../../lib/remote/index.js'
import { runCli } from '../../helpers/cli.js'
import { validateImage } from '../../helpers/validate.js'
import { workDir } from '../../helpers/work-dir.js'

let work: string
let base: BaseImages
let emptyApp: string

t.before(async () => {
  work = await workDir(t, 'cmd-build')
  base = await makeBaseImages(join(work, 'base'))
  emptyApp = join(work, 'empty-app')
  await mkdir(emptyApp)
  await writeFile(join(emptyApp, 'index.txt'), 'x\n')
})

const out = (name: string): string => `oci:${join(work, name)}:app`

t.test('usage errors exit 3 before anything runs, naming the flag', async (t) => {
  const bp = ['--buildpack', SAMPLES.buildpack('base')]
  const cases: Array<[string[], RegExp]> = [
    [['build', '--run-image', base.runV1], /missing IMAGE/],
    [['build', out('u'), '--path', emptyApp], /no buildpacks: pass --builder REF .*or --run-image REF with --buildpack/],
    [['build', out('u'), '--path', emptyApp, ...bp], /--run-image REF is required \(or build with --builder REF\)/],
    [['build', out('u'), '--run-image', base.runV1, '--cache-image', out('c'), '--cache-dir', join(work, 'c')], /--cache-image and --cache-dir exclude each other/],
    [['build', out('u'), '--run-image', base.runV1, '--launcher', 'bash'], /--launcher must be sh or none, got "bash"/],
    [['build', out('u'), '--run-image', base.runV1, '--path', emptyApp], /no buildpacks: pass --builder REF \(or set a default once with 'lading config default-builder REF'\)/],
    [['build', out('u'), '--run-image', base.runV1, '--path', emptyApp, ...bp, '--env', 'NOVALUE'], /--env: expected NAME=VALUE, got "NOVALUE"/],
    [['build', out('u'), '--run-image', base.runV1, '--path', emptyApp, ...bp, '--env-file', join(work, 'none.env')], /--env-file .*none\.env: no such file/],
    [['build', out('u'), '--run-image', base.runV1, '--path', emptyApp, ...bp, '--concurrency', '100'], /--concurrency must be an integer/],
    [['build', out('u'), '--run-image', base.runV1, '--nope'], /--nope/],
    [['build', out('u'), 'extra', '--run-image', base.runV1], /unexpected argument "extra"/],
  ]
  for (const [argv, msg] of cases) {
    const r = await runCli(argv)
    t.equal(r.code, 3, argv.join(' '))
    t.match(r.stderr, msg, argv.join(' '))
    t.match(r.stderr, /lading build --help/)
  }
  const missingRun = await runCli(['build', out('u'), '--run-image', `oci:${join(work, 'no-run')}`, '--path', emptyApp, ...bp])
  t.not(missingRun.code, 0, 'a run image that does not exist fails the build')
  t.match(missingRun.stderr, /no-run/)
})

t.test('builds to a layout: --json shape, extra --tag, --report, digest on stdout otherwise', async (t) => {
  const dir = join(work, 'out')
  const report = join(work, 'report.toml')
  const r = await runCli(['build', `oci:${dir}:app`, '--path', SAMPLES.apps.hello, '--buildpacks-dir', SAMPLES.buildpacksDir,
    '--run-image', base.runV1, '--tag', `oci:${dir}:also`, '--report', report, '--json'])
  t.equal(r.code, 0, r.stderr)
  const res = JSON.parse(r.stdout)
  for (const k of ['image', 'tags', 'group', 'reused', 'restored', 'transfer', 'timingsMs', 'digest', 'ms']) t.ok(k in res, `--json has ${k}`)
  t.equal(res.digest, res.image.digest)
  t.same(res.group.map((g: { id: string }) => g.id), EXPECTED.group)
  t.equal(res.tags.length, 2)
  t.match(r.stderr, /===> DETECT/)
  const repo = await openLayout(dir)
  for (const tag of ['app', 'also']) t.equal(await (await fetchImage(repo, tag)).digest(), res.digest, `tag ${tag}`)
  await validateImage(await fetchImage(repo, 'app'))
  t.match(await readFile(report, 'utf8'), `digest = "${res.digest}"`)

  const again = await runCli(['build', `oci:${dir}:app`, '--path', SAMPLES.apps.hello, '--buildpacks-dir', SAMPLES.buildpacksDir, '--run-image', base.runV1])
  t.equal(again.code, 0, again.stderr)
  t.equal(again.stdout, `${res.digest}\n`, 'same inputs, same digest; plain output is the digest')
  t.match(again.stderr, /reused \d+ layer\(s\) from the previous image/)
  t.match(again.stderr, new RegExp(`wrote .*${dir}:app`))
})

t.test('a relative layout without a tag is reported as oci:DIR:latest', async (t) => {
  const cwd = process.cwd()
  process.chdir(work)
  t.teardown(() => process.chdir(cwd))
  const r = await runCli(['build', 'oci:rel', '--path', SAMPLES.apps.hello, '--buildpacks-dir', SAMPLES.buildpacksDir, '--run-image', base.runV1, '--json'])
  t.equal(r.code, 0, r.stderr)
  t.same(JSON.parse(r.stdout).tags, ['oci:rel:latest'])
  t.equal(await (await fetchImage(await openLayout(join(work, 'rel')), 'latest')).digest(), JSON.parse(r.stdout).digest)
})

t.test("buildpacks get this machine's network by default, as with pack, and none with --network none", async (t) => {
  const server = createServer((s) => s.end())
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const port = (server.address() as AddressInfo).port
  const build = (...extra: string[]) => runCli(['build', out('net'), '--path', emptyApp, '--buildpack', SAMPLES.buildpack('net-probe'),
    '--run-image', base.runV1, '--env', `NET_PROBE_PORT=${port}`, ...extra])
  for (const extra of [[], ['--network', 'host'], ['--network=default']]) {
    const r = await build(...extra)
    t.equal(r.code, 0, `${extra.join(' ') || 'no flag'}: ${r.stderr}`)
    t.match(r.stderr + r.stdout, `net-probe: reached 127.0.0.1:${port}`)
  }
  const off = await build('--network', 'none')
  t.equal(off.code, 51, '--network none: the probe fails its build')
  t.match(off.stderr, 'net-probe: no network')
})
