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

t.test('10 parallel lading copy processes into one layout give 10 tags', async (t) => {
  const { runBin } = await import('../helpers/cli.js')
  const { mkdir, utimes } = await import('node:fs/promises')
  const dir = await tmp(t)
  await mkdir(join(dir, 'content'))
  await writeFile(join(dir, 'content', 'hello'), 'hi\n')
  const src = `oci:${join(dir, 'src')}:v1`
  const made = await runBin(['append', 'scratch', src, '--layer', `${join(dir, 'content')}:/app`])
  t.equal(made.code, 0, made.stderr)
  const dst = join(dir, 'dst')
  const runs = await Promise.all(Array.from({ length: 10 }, (_, i) => runBin(['copy', src, `oci:${dst}:t${i}`])))
  runs.forEach((r, i) => t.equal(r.code, 0, `copy ${i}: ${r.stderr}`))
  const index = JSON.parse(await readFile(join(dst, 'index.json'), 'utf8'))
  const tags = index.manifests.map((m: { annotations?: Record<string, string> }) => m.annotations?.['org.opencontainers.image.ref.name']).sort()
  t.same(tags, Array.from({ length: 10 }, (_, i) => `t${i}`).sort())
  t.notOk((await readdir(dst)).some((n) => n.includes('.lading-tmp') || n.endsWith('.lock') || n.endsWith('.tmp')), 'no temp or lock files left')

  // a lock left by a dead process is taken over once stale
  await mkdir(join(dst, 'index.json.lock'))
  const old = new Date(Date.now() - 60_000)
  await utimes(join(dst, 'index.json.lock'), old, old)
  const again = await runBin(['copy', src, `oci:${dst}:after-stale-lock`])
  t.equal(again.code, 0, again.stderr)
  t.match(await readFile(join(dst, 'index.json'), 'utf8'), /after-stale-lock/)
})
