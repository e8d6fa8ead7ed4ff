/**
 * Benchmark: `lading rebase` of an app image built by `lading build` onto a patched run image —
 * one image through the CLI (wall time, bytes moved) and in-process; fleets of N images through
 * the CLI at concurrency 1, 8 and 32; and the Containerfile way of patching the OS (`buildah bud`
 * FROM the patched run image + `buildah push`), in the same run, through a byte-counting proxy.
 * Usage: npx tsx benchmarks/rebase.ts [--size-mb 64] [--images 100] [--runs 3]
 */
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startRegistry, startFaultProxy, makeBaseImages, pushBaseImages, SAMPLES, type FaultProxy } from '../registry-fixtures/index.js'
import { withLabels } from '../lib/image/index.js'
import { rebaseImage, RunImageCache } from '../lib/rebase/index.js'
import { parseReference } from '../lib/oci/index.js'
import { createRegistryClient } from '../lib/registry/index.js'
import { copyImage, fetchImage, pushImage } from '../lib/remote/index.js'
import { timeChild, median, machine } from './lib/measure.js'
import { buildahPeer, uploadedBytes } from './lib/data.js'

const LADING = fileURLToPath(new URL('../bin/lading', import.meta.url))

const uploaded = uploadedBytes
/** Bytes of blob GETs: a rebase reads configs only, never layers. */
const blobGets = (p: FaultProxy, from: number): number => p.requests.slice(from)
  .filter((q) => q.method === 'GET' && /\/blobs\/sha256:/.test(q.path)).reduce((n, q) => n + q.bytesOut, 0)

async function lading(args: string[]): Promise<number> {
  const r = await timeChild(LADING, args)
  if (r.code !== 0) throw new Error(`lading ${args.join(' ')} failed (${r.code}): ${r.stderr.slice(-2000)}${r.stdout.slice(-2000)}`)
  return r.ms
}

/** Runs the benchmark and returns its result object. */
export async function run(opts: { sizeMiB?: number; runs?: number; images?: number } = {}): Promise<Record<string, unknown>> {
  const sizeMiB = Math.min(opts.sizeMiB ?? 64, 256)
  const runs = Math.max(1, opts.runs ?? 3)
  const images = opts.images ?? 100
  const work = await mkdtemp(join(tmpdir(), 'lading-bench-rebase-'))
  const reg = await startRegistry({ variant: 'http' })
  const proxy = await startFaultProxy(reg.url)
  const client = createRegistryClient({})
  const repo = (ref: string) => client.repository(parseReference(ref))
  try {
    const base = await makeBaseImages(join(work, 'base'))
    await pushBaseImages(base.layout, reg.host)
    // run:current is the tag teams follow. The patch keeps the distro version (v1 and v2
    // fixtures differ in it, which the rebase checks refuse, as the lifecycle does).
    const v1 = await fetchImage(repo(`${reg.host}/run:v1`), 'v1')
    const v2 = withLabels(await fetchImage(repo(`${reg.host}/run:v2`), 'v2'), { 'io.buildpacks.base.distro.version': '1' })
    const point = async (img: typeof v1) => { await pushImage(repo(`${reg.host}/run:current`), img, ['current']) }
    await point(v1)
    const app = join(work, 'app')
    await cp(SAMPLES.apps.bench, app, { recursive: true })
    await lading(['build', `${proxy.host}/bench/app:1`, '--path', app, '--buildpacks-dir', SAMPLES.buildpacksDir,
      '--run-image', `${proxy.host}/run:current`, '--env', `BP_DEPS_SIZE_MB=${sizeMiB}`, '--quiet'])
    const src = repo(`${reg.host}/bench/app`)
    const names: string[] = []
    for (let i = 0; i < images; i++) {
      await copyImage(src, '1', repo(`${reg.host}/bench/fleet${i}`), ['1'])
      names.push(`${proxy.host}/bench/fleet${i}:1`)
    }
    // Every round moves run:current to the other base, so each round has real work to do.
    let onV2 = false
    const flip = async () => { onV2 = !onV2; await point(onV2 ? v2 : v1) }

    const cli: { ms: number; bytesUploaded: number; blobBytesRead: number; requests: number }[] = []
    const inProcess: number[] = []
    for (let i = 0; i < runs; i++) {
      await flip()
      const mark = proxy.requests.length
      const ms = await lading(['rebase', `${proxy.host}/bench/app:1`, '--quiet'])
      cli.push({ ms, bytesUploaded: uploaded(proxy, mark), blobBytesRead: blobGets(proxy, mark), requests: proxy.requests.length - mark })
      await flip()
      const t0 = process.hrtime.bigint()
      const r = await rebaseImage({ repo: repo(`${proxy.host}/bench/app`), identifier: '1', tags: ['1'], display: 'app', registry: proxy.host },
        { runImages: new RunImageCache(async (n) => { const ref = parseReference(n); return { repo: client.repository(ref), identifier: ref.identifier() } }) })
      inProcess.push(Number(process.hrtime.bigint() - t0) / 1e6)
      if (r.status !== 'rebased') throw new Error(`in-process rebase: ${r.status}`)
    }
    const list = join(work, 'fleet.txt')
    await writeFile(list, `${names.join('\n')}\n`)
    const fleet: Record<string, { ms: number; imagesPerSec: number; bytesUploaded: number; requests: number }> = {}
    for (const c of [1, 8, 32]) {
      await flip()
      const mark = proxy.requests.length
      const ms = await lading(['rebase', '--from', list, '--concurrency', String(c), '--quiet'])
      fleet[`c${c}`] = { ms: Math.round(ms), imagesPerSec: +(images / (ms / 1000)).toFixed(1), bytesUploaded: uploaded(proxy, mark), requests: proxy.requests.length - mark }
    }

    // The Containerfile way: rebuild the same app content FROM the patched run image and push.
    const peer = await buildahPeer(work, sizeMiB, SAMPLES.apps.bench)
    const buildah = async (from: string): Promise<{ ms: number; bytesUploaded: number }> => {
      const cmds = await peer.commands(`${proxy.host}/${from}`, `${proxy.host}/bench/buildah:1`)
      const mark = proxy.requests.length
      let ms = 0
      for (const a of cmds) {
        const r = await timeChild('buildah', a)
        if (r.code !== 0) throw new Error(`buildah ${a.join(' ')} failed: ${r.stderr.slice(-2000)}`)
        ms += r.ms
      }
      return { ms: Math.round(ms), bytesUploaded: uploaded(proxy, mark) }
    }
    await buildah('run:v1') // the image as it was before the patch (not timed)
    const peerRuns: { ms: number; bytesUploaded: number }[] = []
    for (let i = 0; i < runs; i++) peerRuns.push(await buildah(i % 2 === 0 ? 'run:v2' : 'run:v1'))
    const lMs = median(cli.map((r) => r.ms))
    const pMs = median(peerRuns.map((r) => r.ms))
    return {
      benchmark: 'rebase',
      command: `npx tsx benchmarks/rebase.ts --size-mb ${sizeMiB} --images ${images} --runs ${runs}`,
      sizeMiB, images, runs,
      lading: {
        // The first round uploads the new config; later rounds flip between bases whose configs
        // the repository already holds (rebase is deterministic), so they upload nothing.
        ms: Math.round(lMs), bytesUploaded: cli[0]!.bytesUploaded, configBytesRead: Math.max(...cli.map((r) => r.blobBytesRead)),
        requests: cli[0]!.requests,
        inProcessMs: +median(inProcess).toFixed(1), fleet,
      },
      peer: { name: 'buildah bud FROM patched base + buildah push', ms: Math.round(pMs), bytesUploaded: median(peerRuns.map((r) => r.bytesUploaded)) },
      ratio: +(pMs / lMs).toFixed(2),
      goals: { oneRebaseCliUnder300ms: lMs < 300, hundredImagesUnder5s: images >= 100 ? Math.min(...Object.values(fleet).map((f) => f.ms)) < 5000 : null },
      ratioMeaning: 'peer time / lading time for patching one image; above 1 means lading is faster. lading.ms is the CLI wall time including Node start-up',
      machine: machine(),
    }
  } finally {
    await client.close()
    await proxy.stop()
    await reg.stop()
    await rm(work, { recursive: true, force: true })
  }
}

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name)
  return i > 0 ? Number(process.argv[i + 1]) : fallback
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  run({ sizeMiB: flag('--size-mb', 64), images: flag('--images', 100), runs: flag('--runs', 3) })
    .then((r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`))
    .catch((err) => {
      process.stderr.write(`${err.stack ?? err}\n`)
      process.exit(1)
    })
}
