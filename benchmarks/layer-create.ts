/**
 * Benchmark: turn a directory of ~N MiB of mixed files (compressible text, random bytes, many
 * small files and a few large ones) into a gzip layer with layerFromDirectory (gzip level 6 and
 * level 1), against `tar -C dir -cf - . | gzip -6` (and pigz when installed), in the same run.
 * Each measurement runs `runs` times in a fresh child process; the median time is reported, and
 * lading's peak RSS is the child's VmHWM.
 * Usage: npx tsx benchmarks/layer-create.ts [--size-mb 512] [--runs 3]
 * Prints one JSON object; `ratio` = peer time / lading time at level 6 (above 1: lading is faster).
 */
import { mkdtemp, mkdir, open, rm, stat } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { timeChild, median, machine } from './lib/measure.js'

const SELF = fileURLToPath(import.meta.url)
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const MiB = 1 << 20

/** Writes the benchmark tree and returns its total file bytes. */
async function makeTree(dir: string, sizeMiB: number): Promise<number> {
  const words = ['layer', 'buildpack', 'registry', 'digest', 'manifest', 'node_modules', 'function', 'return', 'const', '{', '}', '\n']
  const text = Buffer.from(Array.from({ length: 200_000 }, () => words[Math.floor(Math.random() * words.length)]).join(' ')).subarray(0, MiB)
  let total = 0
  const write = async (p: string, mib: number, kind: 'text' | 'random'): Promise<void> => {
    const fh = await open(p, 'w')
    try {
      for (let i = 0; i < mib; i++) await fh.write(kind === 'text' ? text : randomBytes(MiB))
    } finally {
      await fh.close()
    }
    total += mib * MiB
  }
  // A few large files: 35% text, 35% random, in two files each.
  const big = Math.max(1, Math.floor(sizeMiB * 0.175))
  await mkdir(join(dir, 'big'))
  await write(join(dir, 'big/text-1.log'), big, 'text')
  await write(join(dir, 'big/text-2.log'), big, 'text')
  await write(join(dir, 'big/random-1.bin'), big, 'random')
  await write(join(dir, 'big/random-2.bin'), big, 'random')
  // Many small files (1-32 KiB, half text, half random) for the rest, 100 per directory.
  const smallBudget = Math.max(0, sizeMiB * MiB - total)
  let used = 0
  for (let i = 0; used < smallBudget; i++) {
    const d = join(dir, 'small', `d${Math.floor(i / 100)}`)
    if (i % 100 === 0) await mkdir(d, { recursive: true })
    const n = Math.min(1024 + Math.floor(Math.random() * 31 * 1024), smallBudget - used)
    const fh = await open(join(d, `f${i}.${i % 2 ? 'txt' : 'bin'}`), 'w')
    await fh.write(i % 2 ? text.subarray(0, n) : randomBytes(n))
    await fh.close()
    used += n
  }
  return total + used
}

/** Child mode: build one layer and print how long it took. */
async function child(dir: string, store: string, level: number): Promise<void> {
  const { layerFromDirectory } = await import('../lib/layer/index.js')
  const start = process.hrtime.bigint()
  const layer = await layerFromDirectory(dir, { target: '/workspace', storeDir: store, gzipLevel: level })
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  process.stdout.write(`${JSON.stringify({ ms, size: layer.sizeValue })}\n`)
}

function hasTool(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d

/** Runs the benchmark and returns its result object. */
export async function run(opts: { sizeMiB?: number; runs?: number } = {}): Promise<Record<string, unknown>> {
  const sizeMiB = opts.sizeMiB ?? 512
  const runs = opts.runs ?? 3
  const work = await mkdtemp(join(tmpdir(), 'lading-bench-layer-'))
  try {
    const dir = join(work, 'src')
    await mkdir(dir)
    const bytes = await makeTree(dir, sizeMiB)
    const mbps = (ms: number): number => round(bytes / 1e6 / (ms / 1000))

    const measureLading = async (level: number): Promise<Record<string, number>> => {
      const times: number[] = []
      const rss: number[] = []
      let size = 0
      for (let i = 0; i < runs; i++) {
        const store = join(work, `store-${level}-${i}`)
        const r = await timeChild(process.execPath, ['--import', 'tsx', SELF, '--child', dir, store, String(level)], { cwd: ROOT })
        if (r.code !== 0) throw new Error(`layer child failed: ${r.stderr}`)
        const out = JSON.parse(r.stdout) as { ms: number; size: number }
        times.push(out.ms)
        rss.push(r.peakRssMiB)
        size = out.size
        await rm(store, { recursive: true, force: true })
      }
      const ms = median(times)
      return { mbps: mbps(ms), ms: round(ms, 0), peakRssMiB: Math.max(...rss), compressedMiB: round(size / MiB) }
    }
    const measurePeer = async (compressor: string): Promise<Record<string, unknown>> => {
      const times: number[] = []
      const out = join(work, 'peer.tar.gz')
      for (let i = 0; i < runs; i++) {
        const r = await timeChild('bash', ['-c', 'set -o pipefail; tar -C "$1" -cf - . | ' + compressor + ' > "$2"', 'bench', dir, out])
        if (r.code !== 0) throw new Error(`peer failed: ${r.stderr}`)
        times.push(r.ms)
      }
      const size = (await stat(out)).size
      await rm(out, { force: true })
      const ms = median(times)
      return { name: `tar|${compressor}`, mbps: mbps(ms), ms: round(ms, 0), compressedMiB: round(size / MiB) }
    }

    const level6 = await measureLading(6)
    const level1 = await measureLading(1)
    const peer = await measurePeer('gzip -6')
    const others = hasTool('pigz') ? [await measurePeer('pigz -6')] : []
    return {
      benchmark: 'layer-create',
      command: `npx tsx benchmarks/layer-create.ts --size-mb ${sizeMiB} --runs ${runs}`,
      sizeMiB,
      inputBytes: bytes,
      runs,
      lading: { ...level6, gzipLevel: 6, level1 },
      peer,
      otherPeers: others,
      ratio: round((peer.ms as number) / (level6.ms as number), 2),
      machine: machine(),
    }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name)
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`)
  return v
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf('--child')
  const main = i >= 0
    ? child(process.argv[i + 1]!, process.argv[i + 2]!, Number(process.argv[i + 3]))
    : run({ sizeMiB: flag('--size-mb', 512), runs: flag('--runs', 3) }).then((r) => {
      process.stdout.write(`${JSON.stringify(r)}\n`)
    })
  main.catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`)
    process.exitCode = 1
  })
}
