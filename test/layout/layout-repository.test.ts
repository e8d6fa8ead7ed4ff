import t from 'tap'
import { execFile as execFileCb } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { sha256 } from '../../lib/digest/index.js'
import { appendLayers, layerFromBytes } from '../../lib/image/index.js'
import { REF_NAME_ANNOTATION, openLayout } from '../../lib/layout/index.js'
import { MediaTypes, encodeJson, isIndex } from '../../lib/oci/index.js'
import { makeTar, randomImage } from '../helpers/random.js'
import { loadImage, storeImage } from '../helpers/store-image.js'
import { validateImage } from '../helpers/validate.js'

const execFile = promisify(execFileCb)
// umoci unpack needs --rootless when not run as root.
const rootless = process.getuid?.() === 0 ? [] : ['--rootless']

async function tmp(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lading-layout-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

const tagsOf = async (it: AsyncIterable<string>): Promise<string[]> => {
  const out: string[] = []
  for await (const x of it) out.push(x)
  return out
}

t.test('create, open, refuse', async (t) => {
  const root = await tmp(t)
  const dir = join(root, 'new', 'layout')
  await t.rejects(openLayout(dir), { code: 'ERR_LAYOUT_NOT_FOUND' })
  const repo = await openLayout(dir, { create: true })
  t.equal(repo.name, `oci:${dir}`)
  t.same(JSON.parse(await readFile(join(dir, 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' })
  t.same(JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')), { schemaVersion: 2, mediaType: MediaTypes.OCI_INDEX, manifests: [] })
  t.same(await tagsOf(repo.tags()), [])
  await openLayout(dir)
  await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"2.0.0"}')
  await t.rejects(openLayout(dir), { code: 'ERR_LAYOUT_INVALID', message: /2\.0\.0/ })
  await writeFile(join(dir, 'oci-layout'), 'nope')
  await t.rejects(openLayout(dir), { code: 'ERR_LAYOUT_INVALID' })
  await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}')
  await rm(join(dir, 'index.json'))
  await t.rejects(openLayout(dir), { code: 'ERR_LAYOUT_INVALID', message: /index.json is missing/ })
  await openLayout(dir, { create: true })
  t.ok(await readFile(join(dir, 'index.json')))
})

t.test('store and read back images by tag and digest', async (t) => {
  const repo = await openLayout(await tmp(t), { create: true })
  const img = await randomImage(3, 1000)
  const desc = await storeImage(repo, img, ['v1', 'latest'])
  t.same(await tagsOf(repo.tags()), ['v1', 'latest'])
  const byTag = await repo.manifests.resolve('v1')
  t.same(byTag, { ...desc, annotations: { [REF_NAME_ANNOTATION]: 'v1' } })
  t.same(await repo.manifests.resolve(desc.digest), desc)
  t.equal(await repo.manifests.resolve('missing'), undefined)
  t.equal(await repo.manifests.resolve(sha256('missing')), undefined)
  await t.rejects(repo.manifests.get('missing'), { code: 'ERR_NOT_FOUND', what: 'manifest', message: /manifest missing not found in OCI layout/ })
  const got = await repo.manifests.get('latest')
  t.same(got.bytes, Buffer.from(await img.rawManifest()))
  const back = await loadImage(repo, 'v1')
  await validateImage(back)
  t.equal(await back.digest(), await img.digest())

  // Re-tagging replaces the entry; other tags stay.
  const img2 = appendLayers(img, { layer: layerFromBytes(await makeTar({ extra: 'x' })) })
  const d2 = await storeImage(repo, img2, ['v1'])
  t.same(await tagsOf(repo.tags()), ['latest', 'v1'])
  t.equal((await repo.manifests.resolve('v1'))?.digest, d2.digest)
  t.equal((await repo.manifests.resolve('latest'))?.digest, desc.digest)

  await t.rejects(repo.manifests.put(sha256('other'), await img.rawManifest(), desc.mediaType), { code: 'ERR_DIGEST_MISMATCH' })
  await t.rejects(repo.manifests.put('bad tag', await img.rawManifest(), desc.mediaType), { code: 'ERR_REFERENCE_INVALID' })
})

t.test('parallel tag puts keep every entry', async (t) => {
  const repo = await openLayout(await tmp(t), { create: true })
  const img = await randomImage(1, 10)
  await storeImage(repo, img, [])
  const bytes = await img.rawManifest()
  await Promise.all(Array.from({ length: 16 }, (_, i) => repo.manifests.put(`t${i}`, bytes, MediaTypes.OCI_MANIFEST)))
  t.equal((await tagsOf(repo.tags())).length, 16)
})

t.test('an index by tag, children by digest', async (t) => {
  const repo = await openLayout(await tmp(t), { create: true })
  const img = await randomImage(1, 10)
  const child = await storeImage(repo, img, [])
  const index = encodeJson({ schemaVersion: 2, mediaType: MediaTypes.OCI_INDEX, manifests: [{ ...child, platform: { os: 'linux', architecture: 'amd64' } }] })
  await repo.manifests.put('multi', index, MediaTypes.OCI_INDEX)
  const got = await repo.manifests.get('multi')
  t.ok(isIndex(got))
  t.equal((await repo.manifests.get(child.digest)).descriptor.digest, child.digest)
  // A manifest blob not listed in index.json resolves by sniffing its body.
  t.equal((await repo.manifests.resolve(child.digest))?.mediaType, MediaTypes.OCI_MANIFEST)
})

t.test('reads layouts written by umoci and skopeo', async (t) => {
  const root = await tmp(t)
  const A = join(root, 'A')
  const B = join(root, 'B')
  const bundle = join(root, 'bundle')
  await execFile('umoci', ['init', '--layout', A])
  await execFile('umoci', ['new', '--image', `${A}:base`])
  await execFile('umoci', ['unpack', ...rootless, '--image', `${A}:base`, bundle])
  await mkdir(join(bundle, 'rootfs', 'etc'), { recursive: true })
  await writeFile(join(bundle, 'rootfs', 'etc', 'hello'), 'from umoci\n')
  await execFile('umoci', ['repack', '--image', `${A}:withfile`, bundle])

  const a = await openLayout(A)
  t.same((await tagsOf(a.tags())).sort(), ['base', 'withfile'])
  const img = await loadImage(a, 'withfile')
  await validateImage(img)
  t.equal((await img.layers()).length, 1)
  await validateImage(await loadImage(a, 'base'))

  await execFile('skopeo', ['copy', '--quiet', `oci:${A}:withfile`, `oci:${B}:copied`])
  const b = await openLayout(B)
  t.same(await tagsOf(b.tags()), ['copied'])
  const copied = await loadImage(b, 'copied')
  await validateImage(copied)
  t.same((await copied.config()).rootfs.diff_ids, (await img.config()).rootfs.diff_ids)

  // We can add to a layout skopeo created, and skopeo still reads it.
  await storeImage(b, appendLayers(copied, { layer: layerFromBytes(await makeTar({ 'etc/more': 'ours' })) }), ['ours'])
  const { stdout } = await execFile('skopeo', ['inspect', '--raw', `oci:${B}:ours`])
  t.equal(sha256(stdout), (await b.manifests.resolve('ours'))?.digest)
  t.same((await tagsOf(b.tags())).sort(), ['copied', 'ours'])
})

t.test('umoci and skopeo read a layout we wrote', async (t) => {
  const root = await tmp(t)
  const dir = join(root, 'ours')
  const repo = await openLayout(dir, { create: true })
  let img = appendLayers(await randomImage(1, 100), { layer: layerFromBytes(await makeTar({ 'app/hello.txt': 'hello lading\n' })), history: { created_by: 'test' } })
  img = appendLayers(img, { layer: layerFromBytes(await makeTar({ 'app/plain.txt': 'uncompressed\n' }), { gzip: false }) })
  await storeImage(repo, img, ['app'])
  const bundle = join(root, 'bundle')
  await execFile('umoci', ['unpack', ...rootless, '--image', `${dir}:app`, bundle])
  t.equal(await readFile(join(bundle, 'rootfs', 'app', 'hello.txt'), 'utf8'), 'hello lading\n')
  t.equal(await readFile(join(bundle, 'rootfs', 'app', 'plain.txt'), 'utf8'), 'uncompressed\n')
  const { stdout } = await execFile('skopeo', ['inspect', '--raw', `oci:${dir}:app`])
  t.equal(sha256(stdout), await img.digest())
  await execFile('skopeo', ['copy', '--quiet', '--preserve-digests', `oci:${dir}:app`, `oci:${join(root, 'copy')}:app`])
  const again = await loadImage(await openLayout(join(root, 'copy')), 'app')
  t.equal(await again.digest(), await img.digest(), 'skopeo copied our manifest byte for byte')
})

t.test("oci:DIR with no tag: the only manifest (the lifecycle's busybox layout, no ref name); several are listed", async (t) => {
  const fixture = join(import.meta.dirname, 'fixtures', 'lifecycle-busybox')
  const repo = await openLayout(fixture)
  const manifest = 'sha256:f75f3d1a317fc82c793d567de94fc8df2bece37acd5f2bd364a0d91a0d1f3dab'
  t.equal((await repo.manifests.resolve('latest'))?.digest, manifest, 'latest falls back to the only manifest')
  t.equal((await repo.manifests.get('latest')).descriptor.digest, manifest)
  t.equal((await repo.manifests.get(manifest)).descriptor.digest, manifest, 'and the digest form works')
  t.equal(await repo.manifests.resolve('v1'), undefined, 'a named tag does not fall back')
  const { stdout } = await execFile('skopeo', ['inspect', '--config', `oci:${fixture}`])
  t.equal(JSON.parse(stdout).architecture, 'amd64', 'skopeo reads the same layout the same way')

  const several = await openLayout(await tmp(t), { create: true })
  const a = await storeImage(several, await randomImage(1, 10), ['a'])
  const b = await storeImage(several, await randomImage(1, 10), [])
  await several.index.update((entries) => [...entries, b])
  t.equal(await several.manifests.resolve('latest'), undefined, 'resolve: nothing (a build into oci:DIR writes latest)')
  await t.rejects(several.manifests.get('latest'), {
    code: 'ERR_LAYOUT_AMBIGUOUS',
    message: `OCI layout ${several.dir} holds 2 manifests and none is tagged latest; name one as oci:${several.dir}:TAG or oci:${several.dir}@DIGEST: ${a.digest} (a), ${b.digest} (untagged)`,
  })
  await storeImage(several, await randomImage(1, 10), ['latest'])
  t.ok(await several.manifests.get('latest'), 'a latest tag wins')
})
