/**
 * Benchmark: `lading rebase` of an app image built by `lading build` onto a patched run image.
 * One image through the CLI against the Containerfile way of patching the OS (`buildah bud` FROM
 * the patched run image + `buildah push` of the same content), both whole processes, interleaved;
 * then fleets of 100, 500 and 1,000 distinct images (`lading rebase --from FILE`, default
 * concurrency), every run doing the same work: a new run image whose layers every app repository
 * holds already, so each image gets a new config and manifest. Requests are counted on one run
 * per size through a counting proxy; the timed runs go straight to the registry. The first
 * rollout (layers not there yet) and a rollback (configs there already) are counted too. lading
 * keeps the configs it pushes and reads in its cache (~/.cache/lading/json-blobs), so every fleet
 * row runs with that cache warm (the run before pushed the configs it reads); the same two scenarios
 * are counted once more with it emptied first (a machine that never saw the fleet).
 * Usage: npx tsx benchmarks/rebase.ts [--size-mb 64] [--runs 5] [--images 1000] [--fleet-only]
 */
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import pLimit from 'p-limit'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { makeBaseImages, pushBaseImages, SAMPLES } from '../registry-fixtures/index.js'
import { withLabels, type Image } from '../lib/image/index.js'
import { parseReference, type Repository } from '../lib/oci/index.js'
import { isTmpfs } from '../lib/runner/index.js'
import { createRegistryClient } from '../lib/registry/index.js'
import { fetchImage, pushImage } from '../lib/remote/index.js'
import { cliOptions, compare, spread, timeCmd, type BenchOptions, type BenchResult, type Row, type Sample, type Spread } from './lib/harness.js'
import { startCountingRegistry, type CountingRegistry } from './lib/counting-registry.js'
import { buildahPeer } from './lib/data.js'
import { numberFlag, runAsScript } from './lib/main.js'
import { benchDir } from './lib/temp.js'

const LADING = fileURLToPath(new URL('../bin/lading', import.meta.url))

/** One point of the fleet scaling series (requests counted on a run through the proxy, the same work as the timed ones). */
export interface FleetPoint {
  images: number; runs: number; wallMs: Spread; cpuS: Spread; peakRssMiB: Spread; requestsPerImage: number; imagesPerSec: number
  /** CPU the registry spent during the timed runs. */
  registryCpuS?: Spread
  /**
   * (lading CPU + registry CPU) / cores, medians: the wall time the run could not beat even with
   * both processes perfectly parallel; registryOnly is the registry's share alone.
   */
  cpuFloorMs?: { both: number; registryOnly: number; cores: number }
  /** The counted run's requests by kind (`GET manifest`, `PUT manifest 400`, `mount`, …). */
  requestsByKind?: Record<string, number>
  /** Requests to the app repositories per image: requestsPerImage without the run image's reads, made once per fleet. */
  appRequestsPerImage?: number
  /** lading's config cache at the start of each run: warm (it holds the configs the run reads). */
  configCache?: 'warm' | 'cold'
  /** Where the registry kept its storage: the temp dir's disk, or a tmpfs (no fsync cost). */
  registryStorage?: 'disk' | 'tmpfs'
}

interface FleetRunResult { sample: Sample; requests: number; appRequests: number; byKind: Record<string, number>; registryCpuS: number }

/** Runs the benchmark and returns its rows and the fleet scaling series. */
export async function run(opts: BenchOptions & { images?: number; fleetOnly?: boolean }): Promise<BenchResult> {
  const sizeMiB = Math.min(opts.sizeMiB, 64)
  const sizes = [100, 500, 1000].filter((n) => n <= (opts.images ?? 1000))
  const work = await benchDir('rebase')
  const cr = await startCountingRegistry()
  const client = createRegistryClient({})
  const repo = (ref: string) => client.repository(parseReference(ref))
  try {
    // lading keeps facts about registries (ping answers, manifest checks) in ~/.cache: a home of
    // its own keeps the user's file out of it and every run of the benchmark alike.
    await mkdir(join(work, 'home'))
    const env = { ...process.env, HOME: join(work, 'home'), XDG_CACHE_HOME: join(work, 'home', '.cache') }
    const emptyConfigCache = () => rm(join(work, 'home', '.cache', 'lading', 'json-blobs'), { recursive: true, force: true })
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
      '--run-image', `${cr.host}/run:current`, '--env', `BP_DEPS_SIZE_MB=${sizeMiB}`, '--quiet'], env })

    // --fleet-only leaves out the one-image row (and buildah): for before/after runs of the fleet series.
    const rows: Row[] = []
    if (!opts.fleetOnly) {
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
            return { argv: [LADING, 'rebase', `${cr.host}/bench/app:1`, '--quiet'], env }
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
      rows.push(one)
    }

    // Fleets: a fleet of distinct apps (each its own config, the app's layers shared) in their own
    // repositories, all on v1 to begin with. Their label names the run image through the counting
    // proxy with a mirror on the registry itself, so a fleet named either way rebases onto the run
    // image in its own registry and does the same work: runs through the proxy count the requests,
    // the timed runs go straight to the registry (the proxy's CPU is in no timing).
    const max = sizes.at(-1) ?? 0
    const fleetRun = await fleetWorld({ cr, repo, work, run: v2, images: max, env }, async () => {
      while (onV2) await flip()
      await timeCmd({ argv: [LADING, 'rebase', `${cr.host}/bench/app:1`, '--quiet'], env })
    })
    // Untimed: the first rollout (a new run image, its layers in no app repository yet), then a
    // second new run image (its layers now there, so only configs and manifests are new), then on
    // the registry's own name, so the timed runs start with its kept facts (ping, manifest checks).
    const firstRollout = await fleetRun(max, 'proxy')
    const mountedAlready = await fleetRun(max, 'proxy')
    // A rollback to the run image before: every rebased config is in its repository already
    // (configs name the run image's repository, so this stays on the proxy's name).
    const rollback = await fleetRun(max, 'proxy', 'previous')
    // The same two on a machine that never saw the fleet: lading's config cache emptied first.
    await emptyConfigCache()
    const mountedCold = await fleetRun(max, 'proxy')
    await emptyConfigCache()
    const rollbackCold = await fleetRun(max, 'proxy', 'previous')
    await fleetRun(max, 'direct')
    // At least 5 timed runs per point, as every README figure needs.
    const fleetRuns = Math.max(5, opts.runs)
    const scaling = await scale(fleetRun, sizes, fleetRuns, 'disk')
    // The same series once more against a registry whose storage is on a tmpfs: distribution
    // fsyncs every file it writes (about eight per rebased image), and on this disk that, not
    // lading, sets the pace. Both series are reported; the target is read off the disk one.
    if (isTmpfs('/dev/shm')) {
      const mem = await startCountingRegistry({ parentDir: '/dev/shm' })
      try {
        await timeCmd({ argv: [LADING, 'copy', `${cr.direct}/bench/app:1`, `${mem.direct}/bench/app:1`, '--quiet'], env })
        const memRun = await fleetWorld({ cr: mem, repo, work, run: v2, images: max, env }, async () => {})
        await memRun(max, 'proxy')
        await memRun(max, 'proxy')
        await memRun(max, 'direct')
        scaling.push(...await scale(memRun, sizes, fleetRuns, 'tmpfs'))
      } finally {
        await mem.stop()
      }
    }
    const scenario = (r: FleetRunResult, configCache: 'warm' | 'cold', note: string) =>
      ({ images: max, requestsPerImage: round2(r.requests / max), appRequestsPerImage: round2(r.appRequests / max), requestsByKind: r.byKind, configCache, note })
    const scenarios = {
      firstRollout: scenario(firstRollout, 'cold', 'a new run image whose top layer no app repository holds yet; the fleet\'s configs not yet in lading\'s cache'),
      runImageMounted: scenario(mountedAlready, 'warm', 'a new run image whose layers every app repository holds already: new configs, new manifests (the timed scenario)'),
      rollback: scenario(rollback, 'warm', 'back to the run image before: every rebased config and layer is in its repository already'),
      runImageMountedColdCache: scenario(mountedCold, 'cold', 'runImageMounted with lading\'s config cache emptied first: every app config is read'),
      rollbackColdCache: scenario(rollbackCold, 'cold', 'rollback with lading\'s config cache emptied first'),
    }
    const last = scaling.filter((p) => p.registryStorage === 'disk').at(-1)
    const onTmpfs = scaling.filter((p) => p.registryStorage === 'tmpfs').at(-1)
    return {
      benchmark: 'rebase', command: `npx tsx benchmarks/rebase.ts --size-mb ${sizeMiB} --runs ${opts.runs} --images ${max}`,
      sizeMiB, rows, scaling, scenarios,
      targets: last ? {
        // Warm: the config cache holds the configs the fleet reads (see configCache in each row and scenario).
        fleetRequestsPerImageAtMost4: scaling.every((s) => s.requestsPerImage <= 4),
        // The same per image in the app repositories: the run image's manifests and config, read once per fleet, left out.
        fleetAppRequestsPerImageAtMost4: scaling.every((s) => (s.appRequestsPerImage ?? Infinity) <= 4),
        rollbackRequestsPerImageAtMost4: scenarios.rollback.requestsPerImage <= 4,
        thousandImagesUnder5s: last.images >= 1000 ? last.wallMs.median < 5000 : null,
        thousandImagesUnder5sRegistryOnTmpfs: onTmpfs && onTmpfs.images >= 1000 ? onTmpfs.wallMs.median < 5000 : null,
      } : {},
    }
  } finally {
    await client.close()
    await cr.stop()
    await rm(work, { recursive: true, force: true })
  }
}

const round2 = (x: number): number => Math.round(x * 100) / 100

/**
 * The scaling series: per fleet size, one run through the proxy to count requests, then `runs`
 * timed runs straight to the registry, with lading's and the registry's CPU.
 */
async function scale(fleetRun: (n: number, via: 'proxy' | 'direct') => Promise<FleetRunResult>, sizes: number[], runs: number,
  registryStorage: 'disk' | 'tmpfs'): Promise<FleetPoint[]> {
  const points: FleetPoint[] = []
  for (const n of sizes) {
    const counted = await fleetRun(n, 'proxy')
    const got: FleetRunResult[] = []
    for (let i = 0; i < runs; i++) got.push(await fleetRun(n, 'direct'))
    const wall = spread(got.map((g) => g.sample.wallMs), 0)
    const cpuS = spread(got.map((g) => g.sample.cpuS), 2)
    const registryCpuS = spread(got.map((g) => g.registryCpuS), 2)
    const cores = availableParallelism()
    points.push({
      images: n, runs, wallMs: wall, cpuS, registryStorage,
      peakRssMiB: spread(got.map((g) => g.sample.peakRssMiB), 0), registryCpuS,
      cpuFloorMs: { both: Math.round((cpuS.median + registryCpuS.median) * 1000 / cores), registryOnly: Math.round(registryCpuS.median * 1000 / cores), cores },
      requestsPerImage: round2(counted.requests / n), appRequestsPerImage: round2(counted.appRequests / n), requestsByKind: counted.byKind, imagesPerSec: Math.round(n / (wall.median / 1000)),
      configCache: 'warm',
    })
    process.stderr.write(`  fleet ${n} (registry on ${registryStorage}): ${wall.median} ms (${wall.min}–${wall.max}), ${points.at(-1)!.requestsPerImage} requests/image (config cache warm), CPU lading ${cpuS.median} s + registry ${registryCpuS.median} s\n`)
  }
  return points
}

/** What one rebase run of a fleet needs: the registry, the images, and a run image to move to. */
interface FleetWorld { cr: CountingRegistry; repo: (ref: string) => Repository; work: string; run: Image; images: number; env: NodeJS.ProcessEnv }

/**
 * Pushes `w.images` distinct copies of bench/app:1 (put on v1 by `appOnV1` first) and returns a
 * function that runs `lading rebase --from` over the first n of them, named through the proxy or
 * the registry itself, after moving fleet-run:current to a new run image (`new`: the run image's
 * layers with a label of its own, so every config and manifest is new) or back to the one before.
 */
async function fleetWorld(w: FleetWorld, appOnV1: () => Promise<void>): Promise<(n: number, via: 'proxy' | 'direct', to?: 'new' | 'previous') => Promise<FleetRunResult>> {
  const { cr, repo } = w
  if (w.images > 0) {
    await appOnV1()
    const app = await fetchImage(repo(`${cr.direct}/bench/app`), '1')
    const labels = (await app.config()).config?.Labels ?? {}
    const md = JSON.parse(labels['io.buildpacks.lifecycle.metadata'] ?? '{}') as { runImage: { image: string; mirrors?: string[] } }
    md.runImage.image = `${cr.host}/fleet-run:current`
    md.runImage.mirrors = [`${cr.direct}/fleet-run:current`]
    const limit = pLimit(8)
    await Promise.all(Array.from({ length: w.images }, (_, i) => limit(() => pushImage(repo(`${cr.direct}/bench/fleet${i}`),
      withLabels(app, { 'io.buildpacks.lifecycle.metadata': JSON.stringify(md), 'bench.fleet.index': String(i) }), ['1']))))
  }
  const variants: Image[] = []
  const lists = new Map<string, string>()
  const list = async (n: number, host: string): Promise<string> => {
    const file = join(w.work, `fleet-${n}-${host.replace(/\W/g, '_')}.txt`)
    if (!lists.has(file)) await writeFile(file, Array.from({ length: n }, (_, i) => `${host}/bench/fleet${i}:1\n`).join(''))
    lists.set(file, file)
    return file
  }
  const registryCpu = async (): Promise<number> => {
    const f = (await readFile(`/proc/${cr.registry.pid}/stat`, 'utf8')).split(') ')[1]!.split(' ')
    return (Number(f[11]) + Number(f[12])) / 100
  }
  return async (n, via, to = 'new') => {
    const image = to === 'new' ? withLabels(w.run, { 'bench.run': String(variants.length) }) : variants.at(-2)!
    variants.push(image)
    await pushImage(repo(`${cr.direct}/fleet-run`), image, ['current'], { mountFrom: [`${cr.direct}/run`] })
    const from = cr.proxy.requests.length
    const cpu = await registryCpu()
    const sample = await timeCmd({ argv: [LADING, 'rebase', '--from', await list(n, via === 'proxy' ? cr.host : cr.direct), '--json'], env: w.env })
    const registryCpuS = (await registryCpu()) - cpu
    const summary = (JSON.parse(sample.stdout) as { summary?: { rebased?: number } }).summary
    if (summary?.rebased !== n) throw new Error(`fleet rebase of ${n} images rebased ${summary?.rebased}: not the work every run must do`)
    const byKind: Record<string, number> = {}
    const qs = cr.proxy.requests.slice(from)
    for (const q of qs) byKind[kindOf(q.method, q.path, q.status)] = (byKind[kindOf(q.method, q.path, q.status)] ?? 0) + 1
    return { sample, requests: qs.length, appRequests: qs.filter((q) => /^\/v2\/bench\/fleet\d+\//.test(q.path)).length, byKind, registryCpuS }
  }
}

/** A request's kind, for the per-kind counts. */
function kindOf(method: string, path: string, status: number): string {
  if (path === '/v2/') return 'ping'
  if (/\/manifests\//.test(path)) return method === 'PUT' ? `PUT manifest ${status}` : `${method} manifest`
  if (/\/blobs\/uploads\//.test(path)) return /[?&]mount=/.test(path) ? 'mount' : `${method} upload${method === 'POST' && /[?&]digest=/.test(path) ? ' with blob' : ''}`
  if (/\/blobs\//.test(path)) return `${method} blob`
  return `${method} other`
}

runAsScript(import.meta.url, () => run({ ...cliOptions(64), images: numberFlag('--images', 1000), fleetOnly: process.argv.includes('--fleet-only') }))
