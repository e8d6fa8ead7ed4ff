/**
 * Benchmark: builds with a 10-buildpack builder from the registry — cold (empty cache), warm (same
 * builder again) and after one buildpack changed (a new builder) — with bytes downloaded through a
 * counting proxy and wall time; `builder create` twice (the second uploads only config and
 * manifest); and the peer baseline in the same run: `skopeo copy` of the whole builder, which is
 * what a tool that pulls whole images pays. Self-contained (no shared benchmark helpers).
 * Usage: npx tsx benchmarks/builder.ts [--size-mb 4] [--runs 3]   (size = MiB per buildpack)
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { cpus, release, tmpdir, totalmem } from 'node:os'
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startRegistry, startFaultProxy, makeBaseImages, pushBaseImages, type FaultProxy } from '../registry-fixtures/index.js'
import { numberFlag, runAsScript } from './lib/main.js'

const LADING = fileURLToPath(new URL('../bin/lading', import.meta.url))
const COUNT = 10

function time(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint()
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('exit', (code) => code === 0
      ? resolve({ ms: Math.round(Number(process.hrtime.bigint() - t0) / 1e6), stdout })
      : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`)))
  })
}

/** Bytes the registry sent for blob GETs since request `from` (layers and configs). */
const downloaded = (p: FaultProxy, from: number): { bytes: number; layerBlobs: number } => {
  const gets = p.requests.slice(from).filter((q) => q.method === 'GET' && /\/blobs\/sha256:/.test(q.path))
  return { bytes: gets.reduce((n, q) => n + q.bytesOut, 0), layerBlobs: gets.filter((q) => q.bytesOut > 4096).length }
}

async function buildpack(dir: string, i: number, mib: number, seed: string): Promise<void> {
  await mkdir(join(dir, 'bin'), { recursive: true })
  await writeFile(join(dir, 'buildpack.toml'), `api = "0.10"\n[buildpack]\nid = "bench/bp${i}"\nversion = "1.0.0"\n[[targets]]\nos = "linux"\n`)
  await writeFile(join(dir, 'bin/detect'), '#!/bin/sh\nexit 0\n')
  await writeFile(join(dir, 'bin/build'), `#!/bin/sh\nset -eu\necho "bp${i}: $(/bin/busybox wc -c < "$CNB_BUILDPACK_DIR/payload") bytes of payload"\n`)
  await chmod(join(dir, 'bin/detect'), 0o755)
  await chmod(join(dir, 'bin/build'), 0o755)
  // Incompressible, so layer sizes are what they say.
  await writeFile(join(dir, 'payload'), Buffer.concat([Buffer.from(seed), randomBytes(mib << 20)]))
}

/** Runs the benchmark and returns its result object. */
export async function run(opts: { sizeMiB?: number; runs?: number } = {}): Promise<Record<string, unknown>> {
  const mib = Math.max(1, Math.min(opts.sizeMiB ?? 4, 32))
  const runs = Math.max(1, opts.runs ?? 3)
  const work = await mkdtemp(join(tmpdir(), 'lading-bench-builder-'))
  const reg = await startRegistry({ variant: 'http' })
  const proxy = await startFaultProxy(reg.url)
  try {
    const base = await makeBaseImages(join(work, 'base'))
    await pushBaseImages(base.layout, reg.host)
    for (let i = 0; i < COUNT; i++) await buildpack(join(work, `bp${i}`), i, mib, `seed-${i}`)
    const order = Array.from({ length: COUNT }, (_, i) => `[[order.group]]\nid = "bench/bp${i}"\n`).join('')
    await writeFile(join(work, 'builder.toml'), `${Array.from({ length: COUNT }, (_, i) => `[[buildpacks]]\nuri = "bp${i}"\n`).join('')}[[order]]\n${order}` +
      `[build]\nimage = "${proxy.host}/build:latest"\n[[run.images]]\nimage = "${proxy.host}/run:v1"\n`)
    const app = join(work, 'app')
    await mkdir(app)
    await writeFile(join(app, 'index.txt'), 'app\n')
    const lading = async (args: string[], home: string) => {
      const r = await time(LADING, [...args, '--json'], { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config') })
      return { ms: r.ms, out: JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown> }
    }
    const createHome = join(work, 'create-home')
    const create = async (tag: string) => {
      const mark = proxy.requests.length
      const r = await lading(['builder', 'create', `${proxy.host}/bench/builder:${tag}`, '--config', join(work, 'builder.toml')], createHome)
      const t = r.out.transfer as { blobsUploaded: number; bytesUploaded: number }
      const uploads = proxy.requests.slice(mark).filter((q) => /\/blobs\/uploads\//.test(q.path) && (q.method === 'PUT' || q.method === 'PATCH'))
      return { ms: r.ms, blobsUploaded: t.blobsUploaded, bytesUploaded: t.bytesUploaded, uploadBytesOnTheWire: uploads.reduce((n, q) => n + q.bytesIn, 0) }
    }
    const createFirst = await create('1')
    const createSecond = await create('1b')

    const rounds: { cold: unknown; warm: unknown; changed: unknown }[] = []
    for (let r = 0; r < runs; r++) {
      const home = join(work, `home-${r}`)
      const build = async (builderTag: string, image: string) => {
        const mark = proxy.requests.length
        const b = await lading(['build', `${proxy.host}/bench/app:${image}`, '--path', app, '--builder', `${proxy.host}/bench/builder:${builderTag}`], home)
        const bp = b.out.buildpackLayers as { layersFetched: number; bytesFetched: number; layersCached: number }
        return { ms: b.ms, bytesDownloaded: downloaded(proxy, mark).bytes, buildpackLayersFetched: bp.layersFetched, buildpackBytesFetched: bp.bytesFetched, buildpackLayersCached: bp.layersCached }
      }
      const cold = await build('1', `cold-${r}`)
      const warm = await build('1', `warm-${r}`)
      // One buildpack changes (new payload), the builder is re-created under a new tag.
      await writeFile(join(work, 'bp3', 'payload'), Buffer.concat([Buffer.from(`changed-${r}`), randomBytes(mib << 20)]))
      await create(`changed-${r}`)
      const changed = await build(`changed-${r}`, `changed-${r}`)
      rounds.push({ cold, warm, changed })
    }
    const peerRuns: { ms: number; bytesDownloaded: number }[] = []
    for (let r = 0; r < runs; r++) {
      const mark = proxy.requests.length
      const p = await time('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${proxy.host}/bench/builder:1`, `oci:${join(work, `skopeo-${r}`)}:b`], process.env)
      peerRuns.push({ ms: p.ms, bytesDownloaded: downloaded(proxy, mark).bytes })
    }
    const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
    type Round = { ms: number; bytesDownloaded: number; buildpackLayersFetched: number; buildpackBytesFetched: number }
    const pick = (k: 'cold' | 'warm' | 'changed') => {
      const xs = rounds.map((r) => r[k] as Round)
      return { ms: med(xs.map((x) => x.ms)), bytesDownloaded: med(xs.map((x) => x.bytesDownloaded)), buildpackLayersFetched: med(xs.map((x) => x.buildpackLayersFetched)), buildpackBytesFetched: med(xs.map((x) => x.buildpackBytesFetched)) }
    }
    const cold = pick('cold')
    const peer = { name: 'skopeo copy of the whole builder', ms: med(peerRuns.map((p) => p.ms)), bytesDownloaded: med(peerRuns.map((p) => p.bytesDownloaded)) }
    return {
      benchmark: 'builder',
      command: `npx tsx benchmarks/builder.ts --size-mb ${mib} --runs ${runs}`,
      buildpacks: COUNT, mibPerBuildpack: mib, runs,
      lading: { ms: cold.ms, cold, warm: pick('warm'), oneBuildpackChanged: pick('changed'), builderCreate: { first: createFirst, second: createSecond }, rounds },
      peer,
      ratio: +(peer.bytesDownloaded / Math.max(1, pick('changed').bytesDownloaded)).toFixed(1),
      ratioMeaning: 'bytes skopeo copy downloads for the whole builder / bytes a lading build downloads after one buildpack changed',
      machine: { cpu: cpus()[0]?.model, cores: cpus().length, memGiB: Math.round(totalmem() / 2 ** 30), kernel: release(), node: process.version },
    }
  } finally {
    await proxy.stop()
    await reg.stop()
    await rm(work, { recursive: true, force: true })
  }
}


runAsScript(import.meta.url, () => run({ sizeMiB: numberFlag('--size-mb', 4), runs: numberFlag('--runs', 3) }))
