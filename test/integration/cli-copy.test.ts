import t from 'tap'
import { readFile, writeFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { skopeoInspect, skopeoRawManifest, umociUnpack, type RegistryFixture, type FaultProxy } from '../../registry-fixtures/index.js'
import { runCli } from '../helpers/cli.js'
import { registryEnv } from '../helpers/registry-env.js'

let reg: RegistryFixture
let proxy: FaultProxy
let work: string

t.before(async () => {
  ;({ work, reg, proxy } = await registryEnv(t, { name: 'it-copy' }))
})

const uploadedBytes = (p: FaultProxy, from = 0): number =>
  p.requests.slice(from).filter((r) => /\/blobs\/uploads\//.test(r.path) && (r.method === 'PATCH' || r.method === 'PUT'))
    .reduce((n, r) => n + r.bytesIn, 0)

t.test('copy inside one registry mounts every blob: zero blob bytes uploaded, same digest', async (t) => {
  const src = `${proxy.host}/run:v1`
  const dst = `${proxy.host}/mirror/run:v1`
  const before = proxy.requests.length
  const r = await runCli(['copy', src, dst, '--json'])
  t.equal(r.code, 0, r.stderr)
  const out = JSON.parse(r.stdout)
  t.equal(uploadedBytes(proxy, before), 0, 'no blob bytes went over the wire')
  t.ok(out.transfer.blobsMounted >= 2, 'config and layers mounted')
  t.equal(out.transfer.bytesUploaded, 0)
  const a = await runCli(['digest', src])
  const b = await runCli(['digest', dst])
  t.equal(a.stdout, b.stdout, 'manifest digest kept')
  t.equal(out.digest, a.stdout.trim())
  // An independent reader agrees.
  const inspected = await skopeoInspect(dst) as { Digest: string }
  t.equal(inspected.Digest, out.digest)
  // Copying again finds everything in place.
  const again = await runCli(['copy', src, dst, '--json'])
  t.equal(JSON.parse(again.stdout).transfer.bytesUploaded, 0)
})

t.test('copy registry → OCI layout → another repository keeps the digest; umoci unpacks the layout', async (t) => {
  const layout = join(work, 'layout-a')
  const d1 = await runCli(['copy', `${reg.host}/run:v2`, `oci:${layout}:v2`])
  t.equal(d1.code, 0, d1.stderr)
  const bundle = join(work, 'bundle-v2')
  await umociUnpack(layout, 'v2', bundle)
  t.equal((await readFile(join(bundle, 'rootfs', 'run-image-version'), 'utf8')).trim(), 'v2')
  const d2 = await runCli(['copy', `oci:${layout}:v2`, `${reg.host}/from-layout/run:v2`])
  t.equal(d2.code, 0, d2.stderr)
  t.equal(d2.stdout, d1.stdout, 'same digest after the round trip')
  const raw = await skopeoRawManifest(`${reg.host}/from-layout/run:v2`)
  t.equal(`sha256:${createHash('sha256').update(raw).digest('hex')}\n`, d1.stdout)
})

t.test('manifest, config, digest and tags print what the registry holds', async (t) => {
  const m = await runCli(['manifest', `${reg.host}/run:v1`])
  t.equal(m.code, 0)
  const d = await runCli(['digest', `${reg.host}/run:v1`])
  t.equal(`sha256:${createHash('sha256').update(m.stdoutBytes).digest('hex')}\n`, d.stdout)
  const c = await runCli(['config', `${reg.host}/run:v1`])
  const cfg = JSON.parse(c.stdout)
  t.equal(cfg.rootfs.type, 'layers')
  t.equal(cfg.config.Labels['io.buildpacks.stack.id'], 'io.lading.test')
  const tags = await runCli(['tags', `${reg.host}/run`])
  t.same(tags.stdout.trim().split('\n').sort(), ['v1', 'v2'])
  const json = await runCli(['tags', `${reg.host}/run`, '--json'])
  t.same(JSON.parse(json.stdout).sort(), ['v1', 'v2'])
  const dj = await runCli(['digest', `${reg.host}/run:v1`, '--json'])
  t.equal(JSON.parse(dj.stdout).digest, d.stdout.trim())
})

t.test('copy --all-platforms copies an index with every child, digests kept', async (t) => {
  const content = join(work, 'multi')
  await mkdir(content, { recursive: true })
  await writeFile(join(content, 'f.txt'), 'multi\n')
  const refs: { digest: string; size: number; platform: { os: string; architecture: string } }[] = []
  for (const arch of ['amd64', 'arm64']) {
    const r = await runCli(['append', 'scratch', `${reg.host}/multi:${arch}`, '--layer', `${content}:/data`, '--platform', `linux/${arch}`, '--json'])
    t.equal(r.code, 0, r.stderr)
    const j = JSON.parse(r.stdout)
    refs.push({ digest: j.digest, size: j.size, platform: { os: 'linux', architecture: arch } })
  }
  const index = JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: refs.map((x) => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: x.digest, size: x.size, platform: x.platform })),
  })
  const put = await fetch(`${reg.url}/v2/multi/manifests/index`, { method: 'PUT', headers: { 'content-type': 'application/vnd.oci.image.index.v1+json' }, body: index })
  t.equal(put.status, 201)
  const cp = await runCli(['copy', `${reg.host}/multi:index`, `${reg.host}/multi-copy:index`, '--all-platforms'])
  t.equal(cp.code, 0, cp.stderr)
  t.equal(cp.stdout.trim(), `sha256:${createHash('sha256').update(index).digest('hex')}`)
  t.equal(await skopeoRawManifest(`${reg.host}/multi-copy:index`), index)
  const one = await runCli(['copy', `${reg.host}/multi:index`, `oci:${join(work, 'arm')}:x`, '--platform', 'linux/arm64/v8'])
  t.equal(one.code, 0, one.stderr)
  t.equal(one.stdout.trim(), refs[1]!.digest, 'arm64/v8 picks the arm64 entry')
})

t.test('a layer whose bytes do not match its digest is refused (exit 4)', async (t) => {
  const layout = join(work, 'tamper')
  const c = await runCli(['copy', `${reg.host}/run:v1`, `oci:${layout}:v1`])
  t.equal(c.code, 0)
  const manifest = JSON.parse((await runCli(['manifest', `oci:${layout}:v1`])).stdout)
  const layer = manifest.layers[0].digest.slice(7)
  const path = join(layout, 'blobs', 'sha256', layer)
  const bytes = await readFile(path)
  bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0xff
  await writeFile(path, bytes)
  const r = await runCli(['copy', `oci:${layout}:v1`, `${reg.host}/tampered:v1`])
  t.equal(r.code, 4, r.stderr)
  t.match(r.stderr, /digest/)
  const tags = await fetch(`${reg.url}/v2/tampered/tags/list`)
  t.equal(tags.status, 404, 'nothing was tagged')
})

t.test('a registry that is down: clear error, exit 7', async (t) => {
  const r = await runCli(['digest', '127.0.0.1:9/nothing:here'])
  t.equal(r.code, 7, r.stderr)
  t.match(r.stderr, /127\.0\.0\.1:9/)
})

t.test('an unknown image: exit 6 naming it', async (t) => {
  const r = await runCli(['digest', `${reg.host}/run:nope`])
  t.equal(r.code, 6, r.stderr)
  t.match(r.stderr, /nope|not found|unknown/i)
})
