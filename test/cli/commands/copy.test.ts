import t from 'tap'
import { spawn } from 'node:child_process'
import { createReadStream } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { parseConcurrency } from '../../../lib/cli/commands/copy.js'
import { sha256 } from '../../../lib/digest/index.js'
import { imageFromParts } from '../../../lib/image/index.js'
import { openLayout } from '../../../lib/layout/index.js'
import { encodeJson, MediaTypes, type Descriptor } from '../../../lib/oci/index.js'
import { fetchImage, pushImage } from '../../../lib/remote/index.js'
import { startFaultProxy, startRegistry, writeBigBlob } from '../../../registry-fixtures/index.js'
import { cleanEnv, LADING_BIN, runCli } from '../../helpers/cli.js'
import { randomImage, randomLayer } from '../../helpers/random.js'
import { validateImage } from '../../helpers/validate.js'
import { workDir } from '../../helpers/work-dir.js'

let work: string
let src: string
let srcDigest: string
let indexDigest: string

t.before(async () => {
  work = await workDir(t, 'cmd-copy')
  src = join(work, 'src')
  const repo = await openLayout(src, { create: true })
  srcDigest = (await pushImage(repo, await randomImage(2, 256), ['v1'])).digest
  const children: Descriptor[] = []
  for (const architecture of ['amd64', 'arm64']) {
    const img = imageFromParts({ platform: { os: 'linux', architecture }, layers: [await randomLayer(128)] })
    children.push({ ...await pushImage(repo, img, []), platform: { os: 'linux', architecture } })
  }
  const bytes = encodeJson({ schemaVersion: 2, mediaType: MediaTypes.OCI_INDEX, manifests: children })
  indexDigest = sha256(bytes)
  await repo.manifests.put('multi', bytes, MediaTypes.OCI_INDEX)
})

t.test('copies a layout image to another layout; prints the digest, which is kept', async (t) => {
  const r = await runCli(['copy', `oci:${src}:v1`, `oci:${join(work, 'a')}:copied`])
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, `${srcDigest}\n`)
  t.match(r.stderr, /copied oci:.*src:v1 to oci:.*a:copied: uploaded .*, mounted 0 blob\(s\), 0 already present/)
  const img = await fetchImage(await openLayout(join(work, 'a')), 'copied')
  t.equal(await img.digest(), srcDigest)
  await validateImage(img)
  const quiet = await runCli(['copy', `oci:${src}:v1`, `oci:${join(work, 'a')}:again`, '-q'])
  t.equal(quiet.stderr, '', '--quiet keeps stderr clean')
  t.equal(quiet.stdout, `${srcDigest}\n`)
})

t.test('--json: one document with source, destination, digest, media type, size and transfer totals', async (t) => {
  const dst = `oci:${join(work, 'b')}`
  const r = await runCli(['copy', `oci:${src}:v1`, dst, '--json'])
  t.equal(r.code, 0, r.stderr)
  const out = JSON.parse(r.stdout)
  t.same(Object.keys(out).sort(), ['destination', 'digest', 'mediaType', 'ms', 'size', 'source', 'transfer'])
  t.match(out, { source: `oci:${src}:v1`, destination: dst, digest: srcDigest, mediaType: MediaTypes.OCI_MANIFEST })
  t.same(out.transfer, { blobsUploaded: 3, bytesUploaded: out.transfer.bytesUploaded, blobsMounted: 0, bytesMounted: 0, blobsExisting: 0, bytesExisting: 0 })
  t.ok(out.transfer.bytesUploaded > 512)
  t.equal((await runCli(['digest', `${dst}:latest`])).stdout, `${srcDigest}\n`, 'no tag means latest')
  const again = JSON.parse((await runCli(['copy', `oci:${src}:v1`, dst, '--json'])).stdout)
  t.equal(again.transfer.blobsExisting, 3)
  t.equal(again.transfer.blobsUploaded, 0)
})

t.test('an index: narrowed by --platform, or copied whole with --all-platforms', async (t) => {
  const one = await runCli(['copy', `oci:${src}:multi`, `oci:${join(work, 'c')}:x`, '--platform', 'linux/arm64/v8', '--json'])
  t.equal(one.code, 0, one.stderr)
  t.equal(JSON.parse(one.stdout).mediaType, MediaTypes.OCI_MANIFEST)
  const all = await runCli(['copy', `oci:${src}:multi`, `oci:${join(work, 'c')}:all`, '--all-platforms', '--concurrency', '1'])
  t.equal(all.code, 0, all.stderr)
  t.equal(all.stdout, `${indexDigest}\n`)
  const none = await runCli(['copy', `oci:${src}:multi`, `oci:${join(work, 'c')}:y`, '--platform', 'linux/s390x'])
  t.equal(none.code, 4)
  t.match(none.stderr, /linux\/amd64, linux\/arm64/)
})

t.test('usage errors exit 3; a missing source exits 6', async (t) => {
  const both = await runCli(['copy', `oci:${src}:multi`, `oci:${join(work, 'd')}`, '--platform', 'linux/amd64', '--all-platforms'])
  t.equal(both.code, 3)
  t.match(both.stderr, /--platform and --all-platforms exclude each other/)
  for (const c of ['0', '65', '1.5', 'x']) {
    const r = await runCli(['copy', `oci:${src}:v1`, `oci:${join(work, 'd')}`, '--concurrency', c])
    t.equal(r.code, 3, `--concurrency ${c}`)
    t.match(r.stderr, /--concurrency must be an integer from 1 to 64/)
  }
  t.equal((await runCli(['copy', `oci:${src}:v1`, `oci:${join(work, 'd')}`, '--platform', 'linux'])).code, 3)
  t.equal((await runCli(['copy', 'a', 'b', 'c'])).code, 3)
  t.equal((await runCli(['copy', `oci:${src}:v1`])).code, 3)
  const missing = await runCli(['copy', `oci:${join(work, 'nowhere')}:v1`, `oci:${join(work, 'd')}`])
  t.equal(missing.code, 6, missing.stderr)
  const noTag = await runCli(['copy', `oci:${src}:nope`, `oci:${join(work, 'd')}`])
  t.equal(noTag.code, 6, noTag.stderr)
})

t.test('parseConcurrency', async (t) => {
  t.equal(parseConcurrency(undefined), 4)
  t.equal(parseConcurrency(undefined, 2), 2)
  t.equal(parseConcurrency('1'), 1)
  t.equal(parseConcurrency('64'), 64)
  t.throws(() => parseConcurrency('-1'), { code: 'ERR_USAGE' })
  t.throws(() => parseConcurrency(''), { code: 'ERR_USAGE' })
})

t.test('SIGTERM mid-push: the chunk in flight is finished, exit 143, no tag; the rerun sends exactly the rest', { timeout: 300_000 }, async (t) => {
  const MiB = 1 << 20
  const dir = await workDir(t, 'copy-sigterm')
  // One 96 MiB layer: three of the CLI's 32 MiB resumable chunks.
  const big = await writeBigBlob(join(dir, 'layer.bin'), 96)
  const layout = await openLayout(join(dir, 'layout'), { create: true })
  const layer = { mediaType: MediaTypes.OCI_LAYER_GZIP, digest: big.digest, size: big.size } as Descriptor
  await layout.blobs.put(() => createReadStream(big.path), layer)
  const config = encodeJson({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [big.digest] } })
  await layout.blobs.put(config)
  const manifest = encodeJson({ schemaVersion: 2, mediaType: MediaTypes.OCI_MANIFEST,
    config: { mediaType: MediaTypes.OCI_CONFIG, digest: sha256(config), size: config.length }, layers: [layer] })
  await layout.manifests.put('v1', manifest, MediaTypes.OCI_MANIFEST)
  const reg = await startRegistry({ variant: 'http' })
  t.teardown(() => reg.stop())
  let victim: ReturnType<typeof spawn> | undefined
  // The layer's chunks (the config goes up as one small streamed PATCH without Content-Range).
  const patched = (from = 0): number => proxy.requests.slice(from).filter((r) => r.method === 'PATCH' && r.headers['content-range'])
    .reduce((n, r) => n + r.bytesIn, 0)
  const proxy = await startFaultProxy(reg.url, [], {
    onRequestBytes: (rec) => {
      if (rec.method === 'PATCH' && victim && patched() >= big.size / 2) {
        victim.kill('SIGTERM')
        victim = undefined
      }
    },
  })
  t.teardown(() => proxy.stop())
  const env = cleanEnv({ HOME: join(dir, 'home') })
  const argv = ['copy', `oci:${join(dir, 'layout')}:v1`, `${proxy.host}/sig/term:v1`, '-v']
  const run = (kill: boolean): Promise<{ code: number | null; stderr: string }> => new Promise((resolve, reject) => {
    const child = spawn(LADING_BIN, argv, { env, stdio: ['ignore', 'ignore', 'pipe'] })
    if (kill) victim = child
    let stderr = ''
    child.stderr!.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('exit', (code) => resolve({ code, stderr }))
  })
  const first = await run(true)
  t.equal(first.code, 143, first.stderr.slice(-3000))
  t.match(first.stderr, /upload: stopping at byte 67108864 of 100663296 \(interrupted\)/, 'stopped after the chunk in flight')
  t.notOk(proxy.requests.some((r) => r.method === 'PUT' && r.path.includes('/manifests/')), 'no manifest, no tag')
  const sentFirst = patched()
  t.equal(sentFirst, 64 * MiB)
  t.equal((await readdir(join(dir, 'home', '.cache', 'lading', 'uploads'))).length, 1, 'the session is kept')
  const mark = proxy.requests.length
  const second = await run(false)
  t.equal(second.code, 0, second.stderr.slice(-3000))
  t.match(second.stderr, /resuming sha256:\w+ at byte 67108864 of 100663296/)
  t.equal(patched(mark), big.size - sentFirst, 'the rerun sent exactly the rest')
  t.same(await readdir(join(dir, 'home', '.cache', 'lading', 'uploads')), [], 'state removed after the commit')
})
