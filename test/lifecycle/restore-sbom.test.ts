import t from 'tap'
import { mkdir, readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import tarStream from 'tar-stream'
import { restoreSboms } from '../../lib/lifecycle/restore-sbom.js'

type Entry = { name: string; text?: string; type?: 'file' | 'directory' | 'symlink'; linkname?: string }

async function tarOf(entries: Entry[]): Promise<Readable> {
  const pack = tarStream.pack()
  for (const e of entries) {
    if (e.type === 'directory') pack.entry({ name: e.name, type: 'directory' })
    else if (e.type === 'symlink') pack.entry({ name: e.name, type: 'symlink', linkname: e.linkname ?? '/etc/passwd' })
    else pack.entry({ name: e.name }, e.text ?? '')
  }
  pack.finalize()
  const chunks: Buffer[] = []
  for await (const c of pack) chunks.push(c as Buffer)
  return Readable.from([Buffer.concat(chunks)])
}

const group = [{ id: 'acme/node' }, { id: 'other' }]

async function layersDir(t: { testdir: () => string }): Promise<string> {
  const dir = t.testdir()
  for (const id of ['acme_node', 'other']) await mkdir(join(dir, id))
  return dir
}

t.test('only per-layer SBOM files of group buildpacks are written, under checked names', async (t) => {
  const dir = await layersDir(t)
  const tar = await tarOf([
    { name: 'layers/sbom/launch/acme_node/', type: 'directory' },
    { name: 'layers/sbom/launch/acme_node/runtime/sbom.cdx.json', text: 'runtime cdx' },
    { name: './layers/sbom/launch/acme_node/runtime/sbom.spdx.json', text: 'runtime spdx' },
    { name: '/layers/sbom/cache/other/deps/sbom.syft.json', text: 'deps syft' },
    { name: 'layers/sbom/launch/acme_node/sbom.cdx.json', text: 'buildpack-level' },
    { name: 'layers/sbom/launch/stranger/l/sbom.cdx.json', text: 'not in the group' },
    { name: 'layers/sbom/launch/acme_node/l/sbom.txt', text: 'unknown format' },
    { name: 'layers/sbom/launch/acme_node/../sbom.cdx.json', text: 'escape' },
    { name: 'layers/sbom/launch/acme_node/../../../../etc/sbom.cdx.json', text: 'escape' },
    { name: 'layers/sbom/launch/acme_node/link/sbom.cdx.json', type: 'symlink' },
    { name: 'workspace/app.js', text: 'not SBOM data' },
    { name: 'layers/acme_node/runtime/bin/node', text: 'not SBOM data' },
  ])
  const out = await restoreSboms([{ what: 'the image', open: async () => tar }], dir, group)
  t.same(out, { restored: ['acme_node/runtime.sbom.cdx.json', 'acme_node/runtime.sbom.spdx.json', 'other/deps.sbom.syft.json'], warnings: [] })
  t.same((await readdir(join(dir, 'acme_node'))).sort(), ['runtime.sbom.cdx.json', 'runtime.sbom.spdx.json'])
  t.same(await readdir(join(dir, 'other')), ['deps.sbom.syft.json'])
  t.same((await readdir(dir)).sort(), ['acme_node', 'other'], 'nothing written anywhere else')
  t.equal(await readFile(join(dir, 'acme_node', 'runtime.sbom.cdx.json'), 'utf8'), 'runtime cdx')
})

t.test('later sources overwrite earlier ones; missing or unreadable sources are warnings', async (t) => {
  const dir = await layersDir(t)
  const out = await restoreSboms([
    { what: 'the cache', open: async () => tarOf([{ name: 'layers/sbom/cache/acme_node/l/sbom.cdx.json', text: 'from cache' }]) },
    { what: 'a missing layer', open: async () => undefined },
    { what: 'a broken store', open: async () => { throw new Error('boom') } },
    { what: 'the image', open: async () => tarOf([{ name: 'layers/sbom/launch/acme_node/l/sbom.cdx.json', text: 'from image' }]) },
  ], dir, group)
  t.same(out.restored, ['acme_node/l.sbom.cdx.json'])
  t.same(out.warnings, ['a missing layer is missing: its SBOM files are not restored', 'a broken store could not be read (boom): its SBOM files are not restored'])
  t.equal(await readFile(join(dir, 'acme_node', 'l.sbom.cdx.json'), 'utf8'), 'from image')
})

t.test('a damaged tar is an error naming the source, leaving no temp file', async (t) => {
  const dir = await layersDir(t)
  const good = await tarOf([{ name: 'layers/sbom/launch/acme_node/l/sbom.cdx.json', text: 'x'.repeat(5000) }])
  const bytes: Buffer[] = []
  for await (const c of good) bytes.push(c as Buffer)
  const cut = Buffer.concat(bytes).subarray(0, 512 + 1000)
  await t.rejects(restoreSboms([{ what: 'the image', open: async () => Readable.from([cut]) }], dir, group), /restore SBOM files from the image/)
  t.same(await readdir(join(dir, 'acme_node')), [])
})

t.test('a temp SBOM file never outlives the rejected promise (damaged tars, many times over)', async (t) => {
  const dir = await layersDir(t)
  const good = await tarOf([{ name: 'layers/sbom/launch/acme_node/l/sbom.cdx.json', text: 'x'.repeat(5000) }])
  const bytes: Buffer[] = []
  for await (const c of good) bytes.push(c as Buffer)
  for (let i = 0; i < 50; i++) {
    // cut inside the entry's data: the write stream has just been asked to open the temp file
    const cut = Buffer.concat(bytes).subarray(0, 512 + 1 + (i % 5) * 700)
    await t.rejects(restoreSboms([{ what: 'the image', open: async () => Readable.from([cut]) }], dir, group))
    const left = await readdir(join(dir, 'acme_node'))
    if (left.length) return t.fail(`left ${left.join(', ')} after run ${i}`)
  }
  t.pass('no temp file after 50 failures')
})
