/**
 * Probe (not a peer comparison, so not in `npm run bench`): what the loopback registry (Debian's docker-registry, distribution 2.8.2) spends in
 * CPU per request of each kind a fleet rebase sends, with a client that costs next to nothing
 * (node:http, keep-alive, 8 in flight), under the fixture's config and under the config Debian
 * ships (its `storage.cache.blobdescriptor: inmemory`). From these, the registry's share of a
 * 1,000-image fleet rebase (GET manifest, GET config, POST + PUT config, PUT manifest per image;
 * without the GET config when lading's config cache holds the app's config) and the wall time no
 * client can beat on this machine: that CPU spread over every core.
 * Usage: npx tsx benchmarks/probes/registry-cpu.ts [--ops 1000]
 */
import { createHash } from 'node:crypto'
import { readFile, rm } from 'node:fs/promises'
import http from 'node:http'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import pLimit from 'p-limit'
import { makeBaseImages, pushBaseImages, startRegistry } from '../../registry-fixtures/index.js'
import { numberFlag, runAsScript } from '../lib/main.js'
import { benchDir } from '../lib/temp.js'

const MT = 'application/vnd.oci.image.manifest.v1+json'
const KINDS = ['POST + PUT config', 'PUT manifest', 'GET manifest', 'GET config', 'HEAD blob', 'GET /v2/'] as const

/** Registry CPU milliseconds per operation, by kind, for one registry config. */
export interface RegistryCpu {
  config: string
  msPerOp: Record<(typeof KINDS)[number], number>
  /** GET manifest + GET config + POST + PUT config + PUT manifest: one image of a fleet rebase whose run image is mounted. */
  msPerFleetImage: number
  /** Registry CPU-seconds of 1,000 such images, and that spread over all `cores`: a floor for the wall time. */
  thousandImages: { registryCpuS: number; cores: number; floorMs: number }
  /** The same without the GET config: an image whose config lading's local cache holds (4 requests). */
  msPerFleetImageWarmCache: number
  thousandImagesWarmCache: { registryCpuS: number; cores: number; floorMs: number }
}

interface Reply { status: number; headers: http.IncomingHttpHeaders; body: Buffer }

/** Measures one registry config. */
async function measure(work: string, ops: number, cache: boolean): Promise<RegistryCpu> {
  const reg = await startRegistry({ variant: 'http', blobDescriptorCache: cache })
  const agent = new http.Agent({ keepAlive: true })
  try {
    const base = await makeBaseImages(join(work, cache ? 'cache' : 'plain'))
    await pushBaseImages(base.layout, reg.host)
    const [host, port] = reg.host.split(':')
    const req = (method: string, path: string, body?: Buffer, headers: Record<string, string> = {}): Promise<Reply> => new Promise((resolve, reject) => {
      const r = http.request({ host, port, method, path, agent, headers: { ...(body ? { 'content-length': String(body.length) } : {}), ...headers } }, (m) => {
        const chunks: Buffer[] = []
        m.on('data', (c: Buffer) => chunks.push(c))
        m.on('end', () => resolve({ status: m.statusCode ?? 0, headers: m.headers, body: Buffer.concat(chunks) }))
      })
      r.on('error', reject)
      r.end(body)
    })
    const ok = (r: Reply, status: number, what: string): void => {
      if (r.status !== status) throw new Error(`${what}: ${r.status} ${r.body.toString().slice(0, 200)}`)
    }
    const cpu = async (): Promise<number> => {
      const f = (await readFile(`/proc/${reg.pid}/stat`, 'utf8')).split(') ')[1]!.split(' ')
      return (Number(f[11]) + Number(f[12])) * 10 // ms (USER_HZ 100)
    }
    let man = JSON.parse((await req('GET', '/v2/run/manifests/v1', undefined, { accept: `${MT},application/vnd.oci.image.index.v1+json` })).body.toString())
    if (man.manifests) man = JSON.parse((await req('GET', `/v2/run/manifests/${man.manifests[0].digest}`, undefined, { accept: MT })).body.toString())
    const config = (await req('GET', `/v2/run/blobs/${man.config.digest}`)).body
    for (const d of [man.config, ...man.layers]) ok(await req('POST', `/v2/app/blobs/uploads/?mount=${d.digest}&from=run`), 201, 'mount')
    const limit = pLimit(8)
    const msPerOp = {} as RegistryCpu['msPerOp']
    const phase = async (kind: (typeof KINDS)[number], f: (i: number) => Promise<void>): Promise<void> => {
      const before = await cpu()
      await Promise.all(Array.from({ length: ops }, (_, i) => limit(() => f(i))))
      msPerOp[kind] = Math.round(((await cpu()) - before) / ops * 100) / 100
    }
    const configs: Array<{ digest: string; size: number }> = []
    await phase('POST + PUT config', async (i) => {
      const b = Buffer.concat([config, Buffer.from(`\n${i}`)])
      configs[i] = { digest: `sha256:${createHash('sha256').update(b).digest('hex')}`, size: b.length }
      const post = await req('POST', '/v2/app/blobs/uploads/')
      ok(post, 202, 'POST upload')
      const loc = new URL(String(post.headers.location), reg.url)
      loc.searchParams.set('digest', configs[i]!.digest)
      ok(await req('PUT', `${loc.pathname}${loc.search}`, b, { 'content-type': 'application/octet-stream' }), 201, 'PUT upload')
    })
    await phase('PUT manifest', async (i) => {
      const b = Buffer.from(JSON.stringify({ ...man, mediaType: MT, config: { ...man.config, ...configs[i] } }))
      ok(await req('PUT', `/v2/app/manifests/t${i}`, b, { 'content-type': MT }), 201, 'PUT manifest')
    })
    await phase('GET manifest', async (i) => ok(await req('GET', `/v2/app/manifests/t${i}`, undefined, { accept: MT }), 200, 'GET manifest'))
    await phase('GET config', async (i) => ok(await req('GET', `/v2/app/blobs/${configs[i]!.digest}`), 200, 'GET config'))
    await phase('HEAD blob', async (i) => ok(await req('HEAD', `/v2/app/blobs/${configs[i]!.digest}`), 200, 'HEAD blob'))
    await phase('GET /v2/', async () => ok(await req('GET', '/v2/'), 200, 'ping'))
    const perImage = msPerOp['GET manifest'] + msPerOp['GET config'] + msPerOp['POST + PUT config'] + msPerOp['PUT manifest']
    const cores = availableParallelism()
    const warm = perImage - msPerOp['GET config']
    return {
      config: cache ? 'Debian default (blobdescriptor cache inmemory)' : 'fixture (no blobdescriptor cache)',
      msPerOp, msPerFleetImage: Math.round(perImage * 100) / 100,
      thousandImages: { registryCpuS: Math.round(perImage * 100) / 100, cores, floorMs: Math.round(perImage * 1000 / cores) },
      msPerFleetImageWarmCache: Math.round(warm * 100) / 100,
      thousandImagesWarmCache: { registryCpuS: Math.round(warm * 100) / 100, cores, floorMs: Math.round(warm * 1000 / cores) },
    }
  } finally {
    agent.destroy()
    await reg.stop()
  }
}

/** Runs the benchmark: both configs, `ops` operations of each kind. */
export async function run(opts: { ops?: number } = {}): Promise<{ benchmark: string; command: string; results: RegistryCpu[] }> {
  const ops = opts.ops ?? 1000
  const work = await benchDir('registry-cpu')
  try {
    const results = [await measure(work, ops, false), await measure(work, ops, true)]
    return { benchmark: 'registry-cpu', command: `npx tsx benchmarks/registry-cpu.ts --ops ${ops}`, results }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

runAsScript(import.meta.url, () => run({ ops: numberFlag('--ops', 1000) }))
