import t from 'tap'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import tar from 'tar-stream'
import type { Readable } from 'node:stream'
import { parseLayerSpec } from '../../../lib/cli/commands/append.js'
import { openLayout } from '../../../lib/layout/index.js'
import { MediaTypes } from '../../../lib/oci/index.js'
import { fetchImage, pushImage } from '../../../lib/remote/index.js'
import { runCli } from '../../helpers/cli.js'
import { randomImage } from '../../helpers/random.js'
import { validateImage } from '../../helpers/validate.js'

let work: string
let app: string

t.before(async () => {
  work = await mkdtemp(join(tmpdir(), 'lading-cmd-append-'))
  app = join(work, 'app')
  await mkdir(join(app, 'sub'), { recursive: true })
  await writeFile(join(app, 'hello.txt'), 'hello\n')
  await writeFile(join(app, 'sub', 'x.js'), 'x()\n')
})
t.teardown(() => rm(work, { recursive: true, force: true }))

async function entries(s: Readable): Promise<Array<{ name: string; uid: number | undefined; gid: number | undefined }>> {
  const out: Array<{ name: string; uid: number | undefined; gid: number | undefined }> = []
  const ex = tar.extract()
  ex.on('entry', (h, stream, next) => {
    out.push({ name: h.name, uid: h.uid, gid: h.gid })
    stream.on('end', next)
    stream.resume()
  })
  await new Promise<void>((res, rej) => {
    ex.on('finish', res)
    ex.on('error', rej)
    s.pipe(ex)
  })
  return out
}

t.test('parseLayerSpec: DIR may hold colons; PATH is absolute, trailing slashes dropped', async (t) => {
  t.same(parseLayerSpec('./dist:/app'), { dir: resolve('dist'), path: '/app' })
  t.same(parseLayerSpec('/tmp/a:b:c:/srv/x/'), { dir: '/tmp/a:b:c', path: '/srv/x' })
  t.same(parseLayerSpec('/tmp/a:/b:/c'), { dir: '/tmp/a:/b', path: '/c' }, 'split at the last :/')
  t.same(parseLayerSpec('rootfs:/'), { dir: resolve('rootfs'), path: '/' })
  t.same(parseLayerSpec('rootfs:///'), { dir: resolve('rootfs'), path: '/' })
  for (const bad of ['dist', 'dist:app', 'dist:', ':/app', '']) {
    t.throws(() => parseLayerSpec(bad), { code: 'ERR_USAGE', message: /expected DIR:PATH with an absolute PATH/ }, JSON.stringify(bad))
  }
})

t.test('append on scratch writes a valid, deterministic image with the files at PATH', async (t) => {
  const dst = join(work, 'out')
  const a = await runCli(['append', 'scratch', `oci:${dst}:a`, '--layer', `${app}:/srv/app/`, '--uid', '1000', '--gid', '1001'])
  t.equal(a.code, 0, a.stderr)
  t.match(a.stderr, /layer .*app → \/srv\/app: sha256:[0-9a-f]{64} \(/)
  t.match(a.stderr, /wrote oci:.*out:a/)
  const b = await runCli(['append', 'scratch', `oci:${dst}:b`, '--layer', `${app}:/srv/app`, '--uid', '1000', '--gid', '1001'])
  t.equal(b.stdout, a.stdout, 'same inputs, same digest')
  const img = await fetchImage(await openLayout(dst), 'a')
  t.equal(`${await img.digest()}\n`, a.stdout)
  await validateImage(img)
  const cfg = await img.config()
  t.equal(cfg.history?.[0]?.created_by, 'lading append /srv/app')
  t.equal(cfg.history?.[0]?.created, '1980-01-01T00:00:01Z', 'fixed time, so the digest is stable')
  const files = await entries(await (await img.layers())[0]!.uncompressed())
  const names = files.map((e) => e.name.replace(/^\.?\//, ''))
  t.ok(names.some((n) => /^srv\/app\/hello\.txt$/.test(n)), names.join(' '))
  t.ok(names.some((n) => /^srv\/app\/sub\/x\.js$/.test(n)))
  t.ok(names.some((n) => /^srv\/?$/.test(n)), 'parent directories included')
  const hello = files.find((e) => e.name.endsWith('hello.txt'))!
  t.same([hello.uid, hello.gid], [1000, 1001])
})

t.test('append on a layout base keeps its layers; --json shape; layers in flag order', async (t) => {
  const baseDir = join(work, 'base')
  const base = await randomImage(2, 256)
  await pushImage(await openLayout(baseDir, { create: true }), base, ['v1'])
  const dst = `oci:${join(work, 'out2')}:x`
  const r = await runCli(['append', `oci:${baseDir}:v1`, dst, '--layer', `${app}:/a`, '--layer', `${join(app, 'sub')}:/b`, '--json', '--concurrency', '2'])
  t.equal(r.code, 0, r.stderr)
  const out = JSON.parse(r.stdout)
  t.same(Object.keys(out).sort(), ['digest', 'image', 'mediaType', 'ms', 'size', 'transfer'])
  t.match(out, { image: dst, mediaType: MediaTypes.OCI_MANIFEST })
  t.equal(out.transfer.blobsUploaded, 3, 'two base layers and the config; the two new layers were written straight into the layout\'s blob store')
  const img = await fetchImage(await openLayout(join(work, 'out2')), 'x')
  const m = await img.manifest()
  t.same(m.layers.slice(0, 2).map((l) => l.digest), (await base.manifest()).layers.map((l) => l.digest))
  t.same((await img.config()).history?.slice(-2).map((h) => h.created_by), ['lading append /a', 'lading append /b'])
  await validateImage(img)
})

t.test('usage errors: no --layer, a bad spec, a missing directory, bad ids, bad platform', async (t) => {
  const dst = `oci:${join(work, 'bad')}`
  const cases: Array<[string[], RegExp]> = [
    [['append', 'scratch', dst], /at least one --layer/],
    [['append', 'scratch', dst, '--layer', app], /expected DIR:PATH/],
    [['append', 'scratch', dst, '--layer', `${join(work, 'nope')}:/x`], /not a directory/],
    [['append', 'scratch', dst, '--layer', `${join(app, 'hello.txt')}:/x`], /not a directory/],
    [['append', 'scratch', dst, '--layer', `${app}:/x`, '--uid=-1'], /--uid must be a non-negative integer/],
    [['append', 'scratch', dst, '--layer', `${app}:/x`, '--gid', 'root'], /--gid must be a non-negative integer/],
    [['append', 'scratch', dst, '--layer', `${app}:/x`, '--platform', 'nope'], /--platform nope/],
    [['append', 'scratch', '--layer', `${app}:/x`], /missing DST/],
  ]
  for (const [argv, msg] of cases) {
    const r = await runCli(argv)
    t.equal(r.code, 3, argv.join(' '))
    t.match(r.stderr, msg)
  }
  const missingBase = await runCli(['append', `oci:${join(work, 'nobase')}`, dst, '--layer', `${app}:/x`])
  t.equal(missingBase.code, 6, missingBase.stderr)
})

t.test('scratch with --platform makes an image for that platform', async (t) => {
  const r = await runCli(['append', 'scratch', `oci:${join(work, 'arm')}`, '--layer', `${app}:/x`, '--platform', 'linux/arm64'])
  t.equal(r.code, 0, r.stderr)
  const cfg = await (await fetchImage(await openLayout(join(work, 'arm')), 'latest', { platform: { os: 'linux', architecture: 'arm64' } })).config()
  t.same([cfg.os, cfg.architecture], ['linux', 'arm64'])
})
