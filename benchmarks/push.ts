/**
 * Benchmark: push one image with a large incompressible layer from an OCI layout to a fresh
 * loopback registry, with `lading copy` and with `skopeo copy`, in the same run.
 * Usage: npx tsx benchmarks/push.ts [--size-mb 512] [--runs 3]
 * Prints one JSON object; `ratio` = skopeo time / lading time (above 1: lading is faster).
 */
import { mkdtemp, rm, mkdir, open } from 'node:fs/promises'
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startRegistry } from '../registry-fixtures/index.js'
import { timeChild, median, machine } from './lib/measure.js'

const LADING = fileURLToPath(new URL('../bin/lading', import.meta.url))

async function writeRandomFile(path: string, mib: number): Promise<void> {
  const fh = await open(path, 'w')
  try {
    for (let i = 0; i < mib; i++) await fh.write(randomBytes(1 << 20))
  } finally {
    await fh.close()
  }
}

/** Runs the benchmark and returns its result object. */
export async function run(opts: { sizeMiB?: number; runs?: number } = {}): Promise<Record<string, unknown>> {
  const sizeMiB = opts.sizeMiB ?? 512
  const runs = opts.runs ?? 3
  const work = await mkdtemp(join(tmpdir(), 'lading-bench-push-'))
  try {
    const content = join(work, 'content')
    await mkdir(content)
    await writeRandomFile(join(content, 'payload.bin'), sizeMiB)
    const layout = join(work, 'layout')
    const made = await timeChild(LADING, ['append', 'scratch', `oci:${layout}:bench`, '--layer', `${content}:/data`, '--quiet'])
    if (made.code !== 0) throw new Error(`lading append failed: ${made.stderr}`)
    const lading: { ms: number; peakRssMiB: number }[] = []
    const skopeo: { ms: number; peakRssMiB: number }[] = []
    for (let i = 0; i < runs; i++) {
      // A fresh registry for every push, so neither tool finds blobs already there; the order
      // alternates and dirty pages are flushed first, so neither tool pays for the other's writes.
      const order = i % 2 === 0 ? (['lading', 'skopeo'] as const) : (['skopeo', 'lading'] as const)
      for (const tool of order) {
        const reg = await startRegistry({ variant: 'http' })
        spawnSync('sync')
        try {
          const r = tool === 'lading'
            ? await timeChild(LADING, ['copy', `oci:${layout}:bench`, `${reg.host}/bench/lading:1`, '--quiet'])
            : await timeChild('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}:bench`, `docker://${reg.host}/bench/skopeo:1`])
          if (r.code !== 0) throw new Error(`${tool} push failed: ${r.stderr}`)
          ;(tool === 'lading' ? lading : skopeo).push({ ms: r.ms, peakRssMiB: r.peakRssMiB })
        } finally {
          await reg.stop()
        }
      }
    }
    const lMs = median(lading.map((r) => r.ms))
    const sMs = median(skopeo.map((r) => r.ms))
    return {
      benchmark: 'push-large-layer',
      command: `npx tsx benchmarks/push.ts --size-mb ${sizeMiB} --runs ${runs}`,
      sizeMiB,
      runs,
      lading: { ms: Math.round(lMs), mibPerSec: +(sizeMiB / (lMs / 1000)).toFixed(1), peakRssMiB: Math.max(...lading.map((r) => r.peakRssMiB)) },
      peer: { name: 'skopeo copy', ms: Math.round(sMs), mibPerSec: +(sizeMiB / (sMs / 1000)).toFixed(1), peakRssMiB: Math.max(...skopeo.map((r) => r.peakRssMiB)) },
      ratio: +(sMs / lMs).toFixed(2),
      ratioMeaning: 'peer time / lading time; above 1 means lading is faster',
      machine: machine(),
    }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name)
  return i > 0 ? Number(process.argv[i + 1]) : fallback
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  run({ sizeMiB: flag('--size-mb', 512), runs: flag('--runs', 3) })
    .then((r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`))
    .catch((err) => {
      process.stderr.write(`${err.stack ?? err}\n`)
      process.exit(1)
    })
}
