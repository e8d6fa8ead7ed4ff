import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { imageFromParts, layerFromBytes } from '../../lib/image/index.js'
import { openLayout } from '../../lib/layout/index.js'
import { RunImageCache } from '../../lib/rebase/index.js'
import type { Repository } from '../../lib/oci/index.js'
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
