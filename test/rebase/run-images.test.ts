import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { imageFromParts, layerFromBytes } from '../../lib/image/index.js'
import { openLayout } from '../../lib/layout/index.js'
import { RunImageCache } from '../../lib/rebase/index.js'
import type { ImageIndex, ImageManifest, Parsed, Repository } from '../../lib/oci/index.js'
import { pushImage } from '../../lib/remote/index.js'

let dir: string
let repo: Repository
let opened: string[]
const open = async (name: string) => {
  opened.push(name)
  const tag = name.slice(name.indexOf(':') + 1)
  if (tag === 'bad name') throw new Error('malformed')
  return { repo, identifier: tag }
}
t.beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lading-runimages-'))
  repo = await openLayout(dir, { create: true })
  opened = []
})
t.afterEach(() => rm(dir, { recursive: true, force: true }))

const img = (arch: string) => imageFromParts({ platform: { os: 'linux', architecture: arch }, layers: [layerFromBytes(Buffer.from(arch))] })

t.test('one fetch per name, however many concurrent lookups', async (t) => {
  await pushImage(repo, img('amd64'), ['run'])
  const c = new RunImageCache(open)
  const p = { os: 'linux', architecture: 'amd64' }
  const all = await Promise.all(Array.from({ length: 20 }, () => c.resolve('x:run', p)))
  t.equal(c.fetches, 1)
  t.same(opened, ['x:run'])
  t.ok(all.every((r) => r === all[0]))
  t.equal(all[0]!.digest, await img('amd64').digest())
  t.equal(all[0]!.reference, `${repo.name}@${all[0]!.digest}`)
  t.equal(all[0]!.config.architecture, 'amd64')
  t.equal(await c.readable('x:run'), true)
  t.equal(c.fetches, 1, 'readable shares the fetch')
})

t.test('an index is narrowed per platform', async (t) => {
  const [a, b] = [img('amd64'), img('arm64')]
  await pushImage(repo, a, [])
  await pushImage(repo, b, [])
  const index = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [
    { ...(await a.descriptor()), platform: { os: 'linux', architecture: 'amd64' } },
    { ...(await b.descriptor()), platform: { os: 'linux', architecture: 'arm64' } }] }
  await repo.manifests.put('multi', Buffer.from(JSON.stringify(index)), index.mediaType)
  const c = new RunImageCache(open)
  t.equal((await c.resolve('x:multi', { os: 'linux', architecture: 'arm64' })).digest, await b.digest())
  t.equal((await c.resolve('x:multi', { os: 'linux', architecture: 'amd64' })).digest, await a.digest())
  t.equal(c.fetches, 1)
})

t.test('missing images are unreadable; other errors are thrown', async (t) => {
  const c = new RunImageCache(open)
  t.equal(await c.readable('x:nope'), false)
  t.equal(await c.recorded(`x:sha256:${'0'.repeat(64)}`, { os: 'linux', architecture: 'amd64' }), undefined)
  await t.rejects(c.readable('x:bad name'), /malformed/)
})

/** `repo` whose manifests keep copies in `kept` (as lib/registry's JSON blob cache does), counting reads that reach it. */
function keeping(inner: Repository, kept: Map<string, Parsed<ImageManifest | ImageIndex>>, reads: string[]): Repository {
  return {
    name: inner.name,
    blobs: inner.blobs,
    tags: (s) => inner.tags(s),
    manifests: {
      resolve: (r, s) => inner.manifests.resolve(r, s),
      get: (r, s) => { reads.push(r); return inner.manifests.get(r, s) },
      put: (r, b, m, s) => inner.manifests.put(r, b, m, s),
      getCached: async (d) => kept.get(d),
      keep: async (p) => { kept.set(p.descriptor.digest, p) },
    },
  }
}

t.test('a resolved run image is kept, and a recorded reference to it is read from the copy, not the store', async (t) => {
  await pushImage(repo, img('amd64'), ['run'])
  const kept = new Map<string, Parsed<ImageManifest | ImageIndex>>()
  const reads: string[] = []
  const wrapped = keeping(repo, kept, reads)
  const openKept = async (name: string) => ({ repo: wrapped, identifier: name.slice(name.indexOf(name.includes('@') ? '@' : ':') + 1) })
  const p = { os: 'linux', architecture: 'amd64' }
  const first = await new RunImageCache(openKept).resolve('x:run', p)
  t.same([...kept.keys()], [first.digest], 'the platform manifest a label records is kept')
  t.same(reads, ['run'])

  const c = new RunImageCache(openKept)
  const old = await c.recorded(`x@${first.digest}`, p)
  t.equal(old?.digest, first.digest)
  t.equal(old?.config.architecture, 'amd64')
  t.same(reads, ['run'], 'no read reaches the store')
  t.equal(c.fetches, 0)
  t.equal(await c.readable(`x@${first.digest}`), true)

  t.same((await new RunImageCache(openKept).resolve(`x@${first.digest}`, p)).digest, first.digest)
  t.same(reads, ['run', first.digest], 'resolve (a --run-image by digest) still asks the store')
  kept.clear()
  t.equal((await new RunImageCache(openKept).recorded(`x@${first.digest}`, p))?.digest, first.digest, 'no copy: the store is read')
  t.same(reads, ['run', first.digest, first.digest])
})

t.test('prefetch starts the read that later lookups share; a failed one is only seen by a lookup', async (t) => {
  await pushImage(repo, img('amd64'), ['run'])
  const c = new RunImageCache(open)
  c.prefetch('x:run')
  t.same(opened, ['x:run'], 'started at once')
  t.equal((await c.resolve('x:run', { os: 'linux', architecture: 'amd64' })).config.architecture, 'amd64')
  t.equal(c.fetches, 1, 'one read')
  c.prefetch('x:nope')
  c.prefetch('x:bad name')
  await new Promise((r) => setTimeout(r, 20)) // an unhandled rejection would fail the test here
  t.equal(await c.readable('x:nope'), false)
  await t.rejects(c.readable('x:bad name'), /malformed/)
  t.equal(opened.length, 3, 'each name opened once')
})
