import t from 'tap'
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startRegistry, makeBaseImages, pushBaseImages, skopeoInspect, type RegistryFixture } from '../../registry-fixtures/index.js'
import { runCli } from '../helpers/cli.js'
import { appendLayers, layerFromBytes, withConfig, withLabels } from '../../lib/image/index.js'
import { parseReference } from '../../lib/oci/index.js'
import { emptyLayersMetadata, encodeLifecycleMetadata, LABELS } from '../../lib/platform/index.js'
import { createRegistryClient } from '../../lib/registry/index.js'
import { fetchImage, pushImage } from '../../lib/remote/index.js'

let tls: RegistryFixture
let tok: RegistryFixture
let work: string
let app: string

t.before(async () => {
  work = await mkdtemp(join(tmpdir(), 'lading-it-auth-'))
  ;[tls, tok] = await Promise.all([startRegistry({ variant: 'tls-basic' }), startRegistry({ variant: 'token' })])
  const base = await makeBaseImages(join(work, 'base'))
  await pushBaseImages(base.layout, tls.host, { creds: `${tls.username}:${tls.password}`, certDir: tls.certDir!, tlsVerify: true })
  await pushBaseImages(base.layout, tok.host, { creds: `${tok.username}:${tok.password}` })
  app = join(work, 'app')
  await mkdir(app)
  await writeFile(join(app, 'a.txt'), 'a\n')
})
t.teardown(async () => {
  await tls?.stop()
  await tok?.stop()
  await rm(work, { recursive: true, force: true })
})

function withEnv<T>(env: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved: Record<string, string | undefined> = {}
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k]
    if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }
  return fn().finally(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  })
}

t.test('TLS + Basic: credentials from DOCKER_CONFIG, CA from --ca-cert', async (t) => {
  await withEnv({ DOCKER_CONFIG: tls.dockerConfigDir, CNB_REGISTRY_AUTH: undefined }, async () => {
    const r = await runCli(['append', `${tls.host}/run:v1`, `${tls.host}/app:1`, '--layer', `${app}:/app`, '--ca-cert', tls.caFile!, '--json'])
    t.equal(r.code, 0, r.stderr)
    const out = JSON.parse(r.stdout)
    const info = await skopeoInspect(`${tls.host}/app:1`, { creds: `${tls.username}:${tls.password}`, caDir: tls.certDir!, tlsVerify: true }) as { Digest: string }
    t.equal(info.Digest, out.digest)
    t.notMatch(r.stderr + r.stdout, tls.password!, 'password never printed')
  })
})

t.test('TLS without the CA: a clear error that names --ca-cert', async (t) => {
  await withEnv({ DOCKER_CONFIG: tls.dockerConfigDir }, async () => {
    const r = await runCli(['digest', `${tls.host}/run:v1`])
    t.not(r.code, 0)
    t.match(r.stderr, /--ca-cert/)
  })
})

t.test('wrong password: exit 5, no secret in the output', async (t) => {
  const cfg = join(work, 'bad-config')
  await mkdir(cfg, { recursive: true })
  const secret = 'wrong-password-sentinel'
  await writeFile(join(cfg, 'config.json'), JSON.stringify({ auths: { [tls.host]: { auth: Buffer.from(`${tls.username}:${secret}`).toString('base64') } } }))
  await withEnv({ DOCKER_CONFIG: cfg }, async () => {
    const r = await runCli(['digest', `${tls.host}/run:v1`, '--ca-cert', tls.caFile!, '--verbose'])
    t.equal(r.code, 5, r.stderr)
    t.match(r.stderr, /authentication|unauthorized|credentials/i)
    t.notMatch(r.stderr, secret)
    t.notMatch(r.stderr, Buffer.from(`${tls.username}:${secret}`).toString('base64'))
  })
})

t.test('CNB_REGISTRY_AUTH gives credentials for CI', async (t) => {
  const header = `Basic ${Buffer.from(`${tls.username}:${tls.password}`).toString('base64')}`
  await withEnv({ DOCKER_CONFIG: join(work, 'empty'), CNB_REGISTRY_AUTH: JSON.stringify({ [tls.host]: header }) }, async () => {
    const r = await runCli(['tags', `${tls.host}/run`, '--ca-cert', tls.caFile!, '--verbose'])
    t.equal(r.code, 0, r.stderr)
    t.same(r.stdout.trim().split('\n').sort(), ['v1', 'v2'])
    t.notMatch(r.stderr, header.slice(6))
  })
})

t.test('token auth: copy across repositories mounts with one token for both scopes', async (t) => {
  await withEnv({ DOCKER_CONFIG: tok.dockerConfigDir, CNB_REGISTRY_AUTH: undefined }, async () => {
    const before = tok.tokenIssuer!.requests.length
    const r = await runCli(['copy', `${tok.host}/run:v1`, `${tok.host}/team/run:v1`, '--json'])
    t.equal(r.code, 0, r.stderr)
    const out = JSON.parse(r.stdout)
    t.equal(out.transfer.bytesUploaded, 0)
    t.ok(out.transfer.blobsMounted >= 2)
    const scopes = tok.tokenIssuer!.requests.slice(before).flatMap((q) => q.scopes.map(String))
    t.ok(scopes.some((s) => /repository:team\/run:.*push/.test(s)), 'asked for push on the target')
    t.ok(scopes.some((s) => s === 'repository:run:pull'), 'asked for pull on the source')
    t.ok(tok.tokenIssuer!.requests.length - before <= 4, 'tokens are cached, not fetched per request')
  })
})

t.test('token auth: anonymous push is refused with exit 5', async (t) => {
  await withEnv({ DOCKER_CONFIG: join(work, 'empty'), CNB_REGISTRY_AUTH: undefined }, async () => {
    const r = await runCli(['append', 'scratch', `${tok.host}/anon:1`, '--layer', `${app}:/a`])
    t.equal(r.code, 5, r.stderr)
  })
})

t.test('token auth: a lone rebase reads the run image it used last time while the app is read, each with its token', async (t) => {
  await withEnv({ DOCKER_CONFIG: tok.dockerConfigDir, CNB_REGISTRY_AUTH: undefined }, async () => {
    const client = createRegistryClient({})
    const repo = (r: string) => client.repository(parseReference(r))
    // run:current moves between v1 and v2 (relabelled as a patch of the same distro): each rebase has work to do.
    const bases = [await fetchImage(repo(`${tok.host}/run:v1`), 'v1'),
      withLabels(await fetchImage(repo(`${tok.host}/run:v2`), 'v2'), { 'io.buildpacks.base.distro.version': '1' })]
    const moveTo = (i: number) => pushImage(repo(`${tok.host}/run:current`), bases[i]!, ['current'])
    try {
      await moveTo(0)
      const v1 = bases[0]!
      const md = emptyLayersMetadata()
      md.runImage = { topLayer: (await v1.config()).rootfs.diff_ids.at(-1)!, reference: `${tok.host}/run@${await v1.digest()}`, image: `${tok.host}/run:current`, mirrors: [] }
      await pushImage(repo(`${tok.host}/tokapp:1`), withConfig(appendLayers(v1, { layer: layerFromBytes(Buffer.from('app')) }), (c) => ({
        ...c, config: { ...c.config, Env: ['CNB_PLATFORM_API=0.13'], Labels: { ...c.config?.Labels, [LABELS.LIFECYCLE_METADATA]: encodeLifecycleMetadata(md) } },
      })), ['1'])
      for (const [i, next] of [1, 0, 1].entries()) {
        await moveTo(next)
        const r = await runCli(['rebase', `${tok.host}/tokapp:1`, '--json'])
        t.equal(r.code, 0, r.stderr)
        const out = JSON.parse(r.stdout)
        t.equal(out.images[0].status, 'rebased', `rebase ${i + 1}`)
        t.equal(out.images[0].bases[0].new.digest, await bases[next]!.digest())
      }
    } finally {
      await client.close()
    }
  })
})
