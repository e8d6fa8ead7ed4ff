/**
 * Benchmark: push one image with a large incompressible layer (256 MiB and 2× that by default)
 * from an OCI layout to an empty loopback registry, with `lading copy` and `skopeo copy`, both
 * whole processes, interleaved, each run into a fresh registry so neither finds blobs there.
 * Work check: the warm-up run of each side goes through a counting proxy (blob bytes uploaded
 * must match); the counted runs go straight to the registry.
 * The result also gives the floor a Node CLI cannot go under on this machine: the peak RSS of
 * `node -e ''` and of `lading --version` (medians of 5).
 * Usage: npx tsx benchmarks/push.ts [--size-mb 256] [--runs 5]
 */
import { rm } from 'node:fs/promises'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { cliOptions, compare, round, sameCounts, timeCmd, type BenchOptions, type BenchResult, type Row, type Side } from './lib/harness.js'
import { median } from './lib/measure.js'
import { startCountingRegistry, type CountingRegistry } from './lib/counting-registry.js'
import { layoutWithDeps } from './lib/data.js'
import { runAsScript } from './lib/main.js'
import { benchDir } from './lib/temp.js'

const LADING = fileURLToPath(new URL('../bin/lading', import.meta.url))

/** A side that pushes `layout` into a fresh registry per run. */
function pushSide(name: string, argv: (layout: string, host: string) => string[], layout: string): Side {
  let cr: CountingRegistry | undefined
  let done: (() => Record<string, number | undefined>) | undefined
  return {
    name,
    async prepare(run) {
      cr = await startCountingRegistry()
      done = run.warmup ? cr.mark() : undefined
      // Flush dirty pages now, so neither side pays for the other's writes.
      spawnSync('sync')
      return { argv: argv(layout, run.warmup ? cr.host : cr.direct) }
    },
    async finish() {
      const w = done?.()
      await cr?.stop()
      return w
    },
  }
}

/** Runs the benchmark and returns its rows. */
export async function run(opts: BenchOptions): Promise<BenchResult> {
  const sizes = [opts.sizeMiB, opts.sizeMiB * 2]
  const rows: Row[] = []
  for (const sizeMiB of sizes) {
    const work = await benchDir('push')
    try {
      const layout = await layoutWithDeps(LADING, work, sizeMiB)
      rows.push(await compare({
        id: `push-${sizeMiB}`, title: `push of a ${sizeMiB} MiB layer vs \`skopeo copy\``, runs: opts.runs, warmup: opts.warmup,
        lading: pushSide('lading copy', (l, h) => [LADING, 'copy', `oci:${l}:bench`, `${h}/bench/push:1`, '--quiet'], layout),
        peer: pushSide('skopeo copy', (l, h) => ['skopeo', 'copy', '--quiet', '--dest-tls-verify=false', `oci:${l}:bench`, `docker://${h}/bench/push:1`], layout),
        check: sameCounts(['blobBytesUp'], 0.001),
        target: (r) => ({ text: '≥ skopeo, peak RSS < 64 MiB', met: r.ratio.median >= 1 && r.lading.peakRssMiB.max < 64 }),
      }))
    } finally {
      await rm(work, { recursive: true, force: true })
    }
  }
  return { benchmark: 'push', command: `npx tsx benchmarks/push.ts --size-mb ${opts.sizeMiB} --runs ${opts.runs}`, rows, floorRssMiB: await floor() }
}

/** Peak RSS of Node doing nothing and of lading printing its version: what a push's RSS sits on. */
async function floor(): Promise<{ node: number; ladingVersion: number }> {
  const rss = async (argv: string[]): Promise<number> => {
    const xs: number[] = []
    for (let i = 0; i < 5; i++) xs.push((await timeCmd({ argv })).peakRssMiB)
    return round(median(xs), 1)
  }
  return { node: await rss([process.execPath, '-e', '']), ladingVersion: await rss([LADING, '--version']) }
}

runAsScript(import.meta.url, () => run(cliOptions(256)))
