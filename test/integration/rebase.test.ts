import t from 'tap'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startRegistry, podmanRun, SAMPLES, EXPECTED, type RegistryFixture, type FaultProxy, type ProxiedRequest } from '../../registry-fixtures/index.js'
import { runCli } from '../helpers/cli.js'
import { registryEnv } from '../helpers/registry-env.js'
import { withConfig, withLabels, type Image } from '../../lib/image/index.js'
import { parseReference } from '../../lib/oci/index.js'
import { createRegistryClient } from '../../lib/registry/index.js'
import { fetchImage, pushImage } from '../../lib/remote/index.js'

let reg: RegistryFixture
let proxy: FaultProxy
let work: string
const client = createRegistryClient({})

t.before(async () => {
  ;({ work, reg, proxy } = await registryEnv(t, { name: 'it-rebase' }))
  t.teardown(() => client.close())
  // The run image tag a team follows; "patching the OS" moves it from v1 to v2.
  await cli(['copy', `${reg.host}/run:v1`, `${reg.host}/run:current`])
  await cli(['build', `${proxy.host}/app:1`, '--path', SAMPLES.apps.hello, '--buildpacks-dir', SAMPLES.buildpacksDir,
    '--run-image', `${proxy.host}/run:current`])
  await cli(['copy', `${reg.host}/app:1`, `${reg.host}/app-orig:1`])
  // The patch: v2's files, same distro version (v1 → v2 fixtures differ in distro.version, which §6.2 refuses).
  const v2 = await fetchImage(repoOf(`${reg.host}/run:v2`), 'v2')
  await pushImage(repoOf(`${reg.host}/run:current`), withLabels(v2, { 'io.buildpacks.base.distro.version': '1' }), ['current'])
})

async function cli(argv: string[]) {
  const r = await runCli(argv)
  if (r.code !== 0) throw new Error(`lading ${argv.join(' ')}: exit ${r.code}: ${r.stderr}`)
  return r
}
const json = async (argv: string[]) => JSON.parse((await cli(argv)).stdout)
const since = (mark: number): ProxiedRequest[] => proxy.requests.slice(mark)
const writes = (mark: number) => since(mark).filter((q) => q.method === 'PUT' || q.method === 'POST' || q.method === 'PATCH')
const uploaded = (mark: number) => since(mark)
  .filter((q) => /\/blobs\/uploads\//.test(q.path) && (q.method === 'PATCH' || q.method === 'PUT')).reduce((n, q) => n + q.bytesIn, 0)
const repoOf = (ref: string) => client.repository(parseReference(ref))

/** Pushes a changed copy of app-orig:1 (still on run v1) to `name`. */
async function variant(name: string, edit: (i: Image) => Image): Promise<string> {
  const img = await fetchImage(repoOf(`${reg.host}/app-orig:1`), '1')
  await pushImage(repoOf(`${reg.host}/${name}`), edit(img), ['1'])
  return `${proxy.host}/${name}:1`
}

t.test('--dry-run prints old and new base and writes nothing', async (t) => {
  const mark = proxy.requests.length
  const r = await runCli(['rebase', `${proxy.host}/app:1`, '--dry-run'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /would rebase .* old base .*\/run@sha256:[0-9a-f]{64} \(\d+ layers\) → new base .*\/run@sha256:[0-9a-f]{64}/)
  t.match(r.stdout, /would upload [\d.]+ (B|KiB)/)
  t.same(writes(mark), [], 'no PUT, POST or PATCH')
  const j = JSON.parse((await cli(['rebase', `${proxy.host}/app:1`, '--dry-run', '--json'])).stdout)
  const v2 = (await cli(['digest', `${reg.host}/run:current`])).stdout.trim()
  t.equal(j.images[0].status, 'would-rebase')
  t.equal(j.images[0].bases[0].new.digest, v2)
  t.equal(j.images[0].bytes.copied, 0, 'same registry: nothing to copy')
})

t.test('rebase onto the patched run image: config + manifest only, no layer read, podman sees v2', async (t) => {
  const before = await json(['config', `${reg.host}/app:1`])
  const v1 = await json(['config', `${reg.host}/run:v1`])
  const v2 = await json(['config', `${reg.host}/run:current`])
  const v2Manifest = await json(['manifest', `${reg.host}/run:current`])
  const appManifest = await json(['manifest', `${reg.host}/app:1`])
  const mark = proxy.requests.length
  const r = await runCli(['rebase', `${proxy.host}/app:1`, '--json'])
  t.equal(r.code, 0, r.stderr)
  const out = JSON.parse(r.stdout)
  t.equal(out.summary.rebased, 1)
  const after = await json(['config', `${reg.host}/app:1`])
  const configSize = (await json(['manifest', `${reg.host}/app:1`])).config.size
  t.equal(uploaded(mark), configSize, 'uploaded bytes = the new config blob')
  t.equal(out.images[0].bytes.uploaded, configSize)
  const layerDigests = new Set([...appManifest.layers, ...v2Manifest.layers].map((l: { digest: string }) => l.digest))
  // Config GETs only, and none at all when lading's config cache holds them (this run's build pushed the app's, `lading config` read the run images').
  const blobGets = since(mark).filter((q) => q.method === 'GET' && /\/blobs\/sha256:/.test(q.path))
  t.notOk(blobGets.some((q) => layerDigests.has(q.path.replace(/^.*\/blobs\//, ''))), 'no layer blob read')
  const appIds: string[] = before.rootfs.diff_ids.slice(v1.rootfs.diff_ids.length)
  t.same(after.rootfs.diff_ids, [...v2.rootfs.diff_ids, ...appIds], 'new base, then the app layers unchanged')
  const md = JSON.parse(after.config.Labels['io.buildpacks.lifecycle.metadata'])
  t.equal(md.runImage.topLayer, v2.rootfs.diff_ids.at(-1))
  t.match(md.runImage.reference, new RegExp(`/run@${(await cli(['digest', `${reg.host}/run:current`])).stdout.trim()}$`))
  t.equal(md.runImage.image, `${proxy.host}/run:current`)
  t.equal(after.created, '1980-01-01T00:00:01Z')
  t.equal(after.history.length, after.rootfs.diff_ids.length)
  t.same(after.config.Entrypoint, before.config.Entrypoint)
  t.same(after.config.Env, before.config.Env)
  const ver = await podmanRun(`${reg.host}/app:1`, { entrypoint: '/bin/cat', args: ['/run-image-version'] })
  t.equal(ver.stdout.trim(), 'v2', ver.stderr)
  const web = await podmanRun(`${reg.host}/app:1`)
  t.equal(web.stdout, EXPECTED.web.stdout, web.stderr)
})

t.test('a second rebase is a no-op', async (t) => {
  const digest = (await cli(['digest', `${reg.host}/app:1`])).stdout
  const mark = proxy.requests.length
  const r = await runCli(['rebase', `${proxy.host}/app:1`])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /up to date/)
  t.same(writes(mark), [], 'nothing written')
  t.equal((await cli(['digest', `${reg.host}/app:1`])).stdout, digest)
})

t.test('the next rebase of an app rebased here reads its run image at once, and the old base from the copy kept here', async (t) => {
  // Held back, the app's manifest shows whether the run image's read waited for it.
  proxy.setRules([{ match: { method: 'GET', path: /^\/v2\/app\/manifests\/1$/ }, action: { delayMs: 200 } }])
  t.teardown(() => proxy.setRules([]))
  const mark = proxy.requests.length
  const r = await runCli(['rebase', `${proxy.host}/app:1`])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /up to date/)
  const reqs = since(mark)
  t.same(reqs.map((q) => `${q.method} ${q.path}`).sort(), ['GET /v2/app/manifests/1', 'GET /v2/run/manifests/current'],
    'two reads: no GET of the old base by digest (the label names the run image the last rebase read and kept)')
  const app = reqs.find((q) => q.path === '/v2/app/manifests/1')!
  const run = reqs.find((q) => q.path === '/v2/run/manifests/current')!
  t.ok(run.arrivedMs < app.answeredMs!, 'the run image was asked for before the app\'s manifest came back')
})

t.test('refusals say why, write nothing, and exit in the rebase range', async (t) => {
  const cases: Array<[string, () => Promise<string>, number, RegExp, string[]?]> = [
    ['run image not named by the label', async () => `${proxy.host}/app-orig:1`, 71, /not the app's run image.*--force/, ['--run-image', `${proxy.host}/run:v2`]],
    ['rebasable=false', () => variant('nr', (i) => withLabels(i, { 'io.buildpacks.rebasable': 'false' })), 71, /not marked as rebasable/],
    ['os mismatch', () => variant('win', (i) => withConfig(i, (c) => ({ ...c, os: 'windows' }))), 71, /incompatible os/],
    ['not a CNB image', async () => `${proxy.host}/run:v1`, 72, /not a Cloud Native Buildpacks image/],
    ['malformed label', () => variant('bad', (i) => withLabels(i, { 'io.buildpacks.lifecycle.metadata': '{not json' })), 73, /lifecycle\.metadata/],
    ['top layer not in the image', () => variant('top', (i) => relabel(i, (md) => { md.runImage.topLayer = `sha256:${'1'.repeat(64)}` })), 74, /not among the image's/],
    ['recorded base does not match', () => variant('tamper', (i) => relabel(i, (md) => { md.runImage.reference = md.runImage.reference.replace(/@.*/, '@') + v2Digest })), 74, /do not match the recorded run image/],
  ]
  const v2Digest = (await cli(['digest', `${reg.host}/run:v2`])).stdout.trim()
  for (const [name, make, code, text, extra] of cases) {
    const ref = await make()
    const mark = proxy.requests.length
    const r = await runCli(['rebase', ref, ...(extra ?? [])])
    t.equal(r.code, code, `${name}: exit code`)
    t.match(r.stdout, text, name)
    t.same(writes(mark), [], `${name}: nothing written`)
  }
  const distro = await runCli(['rebase', `${proxy.host}/app-orig:1`, '--run-image', `${proxy.host}/run:v2`])
  t.match(distro.stdout, /incompatible io\.buildpacks\.base\.distro\.version: new run image "2" does not match app image "1"/)
  const forced = await runCli(['rebase', `${proxy.host}/app-orig:1`, '--run-image', `${proxy.host}/run:v2`, '--force', '--dry-run'])
  t.equal(forced.code, 0, forced.stderr)
  t.match(forced.stderr, /ignored: forced/)
})

type Md = { runImage: { topLayer: string; reference: string } }
/** The image with its lifecycle metadata label edited (a tampered image). */
function relabel(i: Image, edit: (md: Md) => void): Image {
  return withConfig(i, (c) => {
    const labels = { ...(c.config?.Labels ?? {}) }
    const md = JSON.parse(labels['io.buildpacks.lifecycle.metadata']!) as Md
    edit(md)
    labels['io.buildpacks.lifecycle.metadata'] = JSON.stringify(md)
    return { ...c, config: { ...(c.config ?? {}), Labels: labels } }
  })
}

t.test('a fleet of 50 images rebases in one call; each run image fetched once', async (t) => {
  const refs: string[] = []
  for (let i = 0; i < 50; i++) {
    await cli(['copy', `${reg.host}/app-orig:1`, `${reg.host}/fleet/app${i}:1`])
    refs.push(`${proxy.host}/fleet/app${i}:1`)
  }
  const list = join(work, 'fleet.txt')
  await writeFile(list, `# the fleet\n${refs.slice(1).join('\n')}\n\n`)
  const mark = proxy.requests.length
  const r = await runCli(['rebase', refs[0]!, '--from', list, '--json'])
  t.equal(r.code, 0, r.stderr)
  const out = JSON.parse(r.stdout)
  t.equal(out.summary.images, 50)
  t.equal(out.summary.rebased, 50)
  const runGets = since(mark).filter((q) => q.method === 'GET' && /\/v2\/run\/manifests\/current$/.test(q.path))
  t.equal(runGets.length, 1, 'run:current read once for the fleet')
  const ver = await podmanRun(`${reg.host}/fleet/app49:1`, { entrypoint: '/bin/cat', args: ['/run-image-version'] })
  t.equal(ver.stdout.trim(), 'v2')
  const text = await runCli(['rebase', refs[0]!, refs[1]!, `${proxy.host}/run:v1`, `${proxy.host}/missing:1`])
  t.not(text.code, 0, 'a failure makes the exit code non-zero')
  t.match(text.stdout, /fleet\/app0:1: up to date/)
  t.match(text.stdout, /run:v1: skipped: .*not a Cloud Native Buildpacks image/)
  t.match(text.stdout, /missing:1: failed: /)
  t.match(text.stdout, /4 image\(s\): 0 rebased, 2 up to date, 1 skipped, 1 failed/)
})

t.test('a multi-arch index is rebased child by child under a new index', async (t) => {
  const m = JSON.parse((await cli(['manifest', `${reg.host}/app-orig:1`])).stdout)
  const raw = (await cli(['manifest', `${reg.host}/app-orig:1`])).stdoutBytes
  const { createHash } = await import('node:crypto')
  const digest = `sha256:${createHash('sha256').update(raw).digest('hex')}`
  // One amd64 app listed under two platforms: enough to exercise the per-child walk.
  const index = JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: ['amd64', 'arm64'].map((a) => ({ mediaType: m.mediaType, digest, size: raw.length, platform: { os: 'linux', architecture: a } })),
  })
  const put = await fetch(`${reg.url}/v2/app-orig/manifests/multi`, { method: 'PUT', headers: { 'content-type': 'application/vnd.oci.image.index.v1+json' }, body: index })
  t.equal(put.status, 201)
  const r = await runCli(['rebase', `${proxy.host}/app-orig:multi`, '--json'])
  t.equal(r.code, 0, r.stderr)
  const out = JSON.parse(r.stdout)
  t.equal(out.images[0].bases.length, 2)
  const after = JSON.parse((await cli(['manifest', `${reg.host}/app-orig:multi`])).stdout)
  t.equal(after.manifests.length, 2)
  t.same(after.manifests.map((d: { platform: { architecture: string } }) => d.platform.architecture), ['amd64', 'arm64'])
  t.not(after.manifests[0].digest, digest, 'child rebased')
  const v2 = await json(['config', `${reg.host}/run:current`])
  const child = await json(['config', `${reg.host}/app-orig@${after.manifests[1].digest}`])
  t.same(child.rootfs.diff_ids.slice(0, v2.rootfs.diff_ids.length), v2.rootfs.diff_ids)
  const again = await runCli(['rebase', `${proxy.host}/app-orig:multi`])
  t.match(again.stdout, /up to date/)
})

t.test('a new base in another registry is copied, and the dry run says how many bytes', async (t) => {
  const other = await startRegistry({ variant: 'http' })
  t.teardown(() => other.stop())
  await cli(['copy', `${reg.host}/run:current`, `${other.host}/mirror/run:current`])
  await cli(['copy', `${reg.host}/app-orig:1`, `${reg.host}/xreg:1`])
  const layers = (await json(['manifest', `${other.host}/mirror/run:current`])).layers as Array<{ size: number; digest: string }>
  // v1 and v2 share their busybox layer, which xreg already has: only the others must move.
  const have = new Set(((await json(['manifest', `${reg.host}/xreg:1`])).layers as Array<{ digest: string }>).map((l) => l.digest))
  const total = layers.filter((l) => !have.has(l.digest)).reduce((n, l) => n + l.size, 0)
  t.ok(total > 0)
  const args = ['rebase', `${proxy.host}/xreg:1`, '--run-image', `${other.host}/mirror/run:current`, '--force']
  const mark = proxy.requests.length
  const dry = JSON.parse((await cli([...args, '--dry-run', '--json'])).stdout)
  t.equal(dry.images[0].bytes.copied, total, 'dry run: base bytes to copy')
  t.same(writes(mark), [])
  const text = await cli([...args, '--dry-run'])
  t.match(text.stdout, /copied from another registry/)
  const r = JSON.parse((await cli([...args, '--json'])).stdout)
  t.equal(r.images[0].status, 'rebased')
  t.equal(r.images[0].bytes.copied, total)
  const configSize = (await json(['manifest', `${reg.host}/xreg:1`])).config.size
  t.equal(uploaded(mark), total + configSize, 'base layers + config uploaded')
  const ver = await podmanRun(`${reg.host}/xreg:1`, { entrypoint: '/bin/cat', args: ['/run-image-version'] })
  t.equal(ver.stdout.trim(), 'v2')
})
