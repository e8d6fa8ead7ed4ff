/**
 * Benchmark: `lading rebase` of an app image built by `lading build` onto a patched run image.
 * One image through the CLI against the Containerfile way of patching the OS (`buildah bud` FROM
 * the patched run image + `buildah push` of the same content), both whole processes, interleaved;
 * then fleets of 100, 500 and 1,000 images (`lading rebase --from FILE`, default concurrency),
 * each run doing the same work: run:current moves to the other base before every run, so every
 * image is rebased every time. Everything goes through a counting proxy (requests per image).
 * Usage: npx tsx benchmarks/rebase.ts [--size-mb 64] [--runs 5] [--images 1000]
 */
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { makeBaseImages, pushBaseImages, SAMPLES } from '../registry-fixtures/index.js'
import { withLabels } from '../lib/image/index.js'
import { parseReference } from '../lib/oci/index.js'
import { createRegistryClient } from '../lib/registry/index.js'
import { copyImage, fetchImage, pushImage } from '../lib/remote/index.js'
import { cliOptions, compare, flag, spread, timeCmd, type BenchOptions, type BenchResult, type Spread } from './lib/harness.js'
import { startCountingRegistry } from './lib/counting-registry.js'
import { buildahPeer } from './lib/data.js'
import { numberFlag, runAsScript } from './lib/main.js'

const LADING = fileURLToPath(new URL('../bin/lading', import.meta.url))

/** One point of the fleet scaling series. */
export interface FleetPoint { images: number; runs: number; wallMs: Spread; cpuS: Spread; peakRssMiB: Spread; requestsPerImage: number; imagesPerSec: number }

/** Runs the benchmark and returns its rows and the fleet scaling series. */
export async function run(opts: BenchOptions & { images?: number }): Promise<BenchResult> {
  const sizeMiB = Math.min(opts.sizeMiB, 64)
  const sizes = [100, 500, 1000].filter((n) => n <= (opts.images ?? 1000))
  const work = await mkdtemp(join(tmpdir(), 'lading-bench-rebase-'))
  const cr = await startCountingRegistry()
  const client = createRegistryClient({})
  const repo = (ref: string) => client.repository(parseReference(ref))
  try {
    const base = await makeBaseImages(join(work, 'base'))
    await pushBaseImages(base.layout, cr.direct)
    // run:current is the tag teams follow. The patch keeps the distro version (v1 and v2
    // fixtures differ in it, which the rebase checks refuse, as the lifecycle does).
    const v1 = await fetchImage(repo(`${cr.direct}/run:v1`), 'v1')
    const v2 = withLabels(await fetchImage(repo(`${cr.direct}/run:v2`), 'v2'), { 'io.buildpacks.base.distro.version': '1' })
    await pushImage(repo(`${cr.direct}/run:patched`), v2, ['patched'])
    let onV2 = false
    const flip = async (): Promise<void> => {
      onV2 = !onV2
      await pushImage(repo(`${cr.direct}/run:current`), onV2 ? v2 : v1, ['current'])
    }
    await pushImage(repo(`${cr.direct}/run:current`), v1, ['current'])
    const app = join(work, 'app')
    await cp(SAMPLES.apps.bench, app, { recursive: true })
    await timeCmd({ argv: [LADING, 'build', `${cr.host}/bench/app:1`, '--path', app, '--buildpacks-dir', SAMPLES.buildpacksDir,
      '--run-image', `${cr.host}/run:current`, '--env', `BP_DEPS_SIZE_MB=${sizeMiB}`, '--quiet'] })

    // The Containerfile way: the same content FROM the patched run image, built and pushed.
    const peer = await buildahPeer(work, sizeMiB, SAMPLES.apps.bench)
    const q = (a: string[]): string => a.map((x) => `'${x}'`).join(' ')
    const buildahCmd = async (from: string): Promise<string[]> => {
      const [bud, push] = await peer.commands(`${cr.host}/${from}`, `${cr.host}/bench/buildah:1`)
      return ['bash', '-c', `buildah ${q(bud!)} >/dev/null && buildah ${q(push!)}`]
    }
    await timeCmd({ argv: await buildahCmd('run:v1') }) // the image as it was before the patch (not timed)
    let mark = cr.mark()
    const one = await compare({
      id: 'rebase-one', title: 'one image onto a patched run image: `lading rebase` vs `buildah bud` + `buildah push`', runs: opts.runs, warmup: opts.warmup,
      lading: {
        name: 'lading rebase',
        async prepare() {
          await flip()
          mark = cr.mark()
          return { argv: [LADING, 'rebase', `${cr.host}/bench/app:1`, '--quiet'] }
        },
        finish: () => mark(),
      },
      peer: {
        name: 'buildah bud + push',
        async prepare(r) {
          const cmd = await buildahCmd((r.index & 1) === 0 ? 'run:patched' : 'run:v1')
          mark = cr.mark()
          return { argv: cmd }
        },
        finish: () => mark(),
      },
      // Not the same means: buildah re-reads the base and pushes new app layers; lading rewrites the config only.
      check: (l, p) => ({ ok: !!l?.requests && !!p?.requests, note: `requests ${l?.requests} vs ${p?.requests}; bytes uploaded ${l?.bytesUp} vs ${p?.bytesUp}` }),
      target: (r) => ({ text: 'one CLI rebase < 100 ms', met: r.lading.wallMs.median < 100 }),
    })

    // Fleets: copies of the app (cross-repository mounts), then one untimed rebase of all of them
    // onto the other base, so both run images are already in every repository.
    const max = sizes.at(-1) ?? 0
    const src = repo(`${cr.direct}/bench/app`)
    const names: string[] = []
    for (let i = 0; i < max; i++) {
      await copyImage(src, '1', repo(`${cr.direct}/bench/fleet${i}`), ['1'])
      names.push(`${cr.host}/bench/fleet${i}:1`)
    }
    const fleetRun = async (n: number) => {
      const list = join(work, `fleet-${n}.txt`)
      await writeFile(list, `${names.slice(0, n).join('\n')}\n`)
      await flip()
      const m = cr.mark()
      const s = await timeCmd({ argv: [LADING, 'rebase', '--from', list, '--quiet'] })
      return { sample: s, requests: m().requests ?? 0 }
    }
    if (max > 0) await fleetRun(max)
    const scaling: FleetPoint[] = []
    const fleetRuns = Math.max(3, Math.ceil(opts.runs / 2))
    for (const n of sizes) {
      const got: Awaited<ReturnType<typeof fleetRun>>[] = []
      for (let i = 0; i < fleetRuns; i++) got.push(await fleetRun(n))
      const wall = spread(got.map((g) => g.sample.wallMs), 0)
      scaling.push({
        images: n, runs: fleetRuns, wallMs: wall, cpuS: spread(got.map((g) => g.sample.cpuS), 2),
        peakRssMiB: spread(got.map((g) => g.sample.peakRssMiB), 0),
        requestsPerImage: Math.max(...got.map((g) => g.requests)) / n, imagesPerSec: Math.round(n / (wall.median / 1000)),
      })
      process.stderr.write(`  fleet ${n}: ${wall.median} ms (${wall.min}–${wall.max}), ${scaling.at(-1)!.requestsPerImage} requests/image\n`)
    }
    const last = scaling.at(-1)
    return {
      benchmark: 'rebase', command: `npx tsx benchmarks/rebase.ts --size-mb ${sizeMiB} --runs ${opts.runs} --images ${max}`,
      sizeMiB, rows: [one], scaling,
      targets: last ? {
        fleetRequestsPerImageAtMost4: scaling.every((s) => s.requestsPerImage <= 4),
        thousandImagesUnder5s: last.images >= 1000 ? last.wallMs.median < 5000 : null,
      } : {},
    }
  } finally {
    await client.close()
    await cr.stop()
    await rm(work, { recursive: true, force: true })
  }
}

runAsScript(import.meta.url, () => run({ ...cliOptions(64), images: numberFlag('--images', 1000) }))
