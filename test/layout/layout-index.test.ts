import t from 'tap'
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sha256 } from '../../lib/digest/index.js'
import { LayoutIndex, emptyLayoutIndex } from '../../lib/layout/index.js'
import { MediaTypes, encodeJson } from '../../lib/oci/index.js'

async function tmp(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lading-index-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

t.test('serialised updates never lose entries and keep unknown fields', async (t) => {
  const dir = await tmp(t)
  await writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [], annotations: { keep: 'me' }, extra: 1 }))
  const idx = new LayoutIndex(dir)
  await Promise.all(Array.from({ length: 20 }, (_, i) => idx.update((m) => [...m, { mediaType: MediaTypes.OCI_MANIFEST, digest: sha256(String(i)), size: i }])))
  const out = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8'))
  t.equal(out.manifests.length, 20)
  t.same(out.annotations, { keep: 'me' })
  t.equal(out.extra, 1)
  t.same((await readdir(dir)).sort(), ['index.json'], 'no temp files left')
})

t.test('a failed update does not stop the chain', async (t) => {
  const dir = await tmp(t)
  const idx = new LayoutIndex(dir)
  await idx.write(emptyLayoutIndex())
  await t.rejects(idx.update(() => { throw new Error('edit failed') }), /edit failed/)
  await idx.update((m) => [...m, { mediaType: MediaTypes.OCI_MANIFEST, digest: sha256('a'), size: 1 }])
  t.equal((await idx.read()).manifests.length, 1)
})

t.test('malformed index.json is reported', async (t) => {
  const dir = await tmp(t)
  const idx = new LayoutIndex(dir)
  await t.rejects(idx.read(), { code: 'ERR_LAYOUT_INVALID', message: /cannot read index.json/ })
  await writeFile(idx.path, '{bad')
  await t.rejects(idx.read(), { code: 'ERR_LAYOUT_INVALID', message: /not valid JSON/ })
  await writeFile(idx.path, encodeJson({ schemaVersion: 2, manifests: [{ digest: 'x' }] }))
  await t.rejects(idx.read(), { code: 'ERR_LAYOUT_INVALID', message: /manifests\[0\]/ })
})
