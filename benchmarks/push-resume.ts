/**
 * Benchmark: resuming an interrupted push in a new process (issue #10). A child process pushes one
 * large blob to a fresh loopback registry through a byte-counting proxy and is killed with SIGKILL
 * once 90% of the bytes have arrived; a second child pushes the same blob again. Reported: bytes
 * and time of the rerun next to a full push, behind a request-buffering proxy (nginx's default:
 * the session stays at the last acknowledged chunk) and straight against distribution 2.8 (it
 * cancels a session whose PATCH was cut, so the rerun starts over), and what the resumable
 * chunks cost a full push compared with the single streamed PATCH.
 * Usage: npx tsx benchmarks/push-resume.ts [--size-mb 190] [--runs 3] [--chunk-mb 32]
 * Prints one JSON object.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdtemp, open, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startFaultProxy, startRegistry, writeBigBlob, type FaultProxy } from '../registry-fixtures/index.js'
import { createRegistryClient } from '../lib/registry/index.js'
import type { Digest } from '../lib/digest/index.js'
import { median, machine } from './lib/measure.js'

const SELF = fileURLToPath(import.meta.url)
const MiB = 1 << 20

/** A file of `mib` MiB (cheap, no two MiB alike) and its digest. */
async function makeFile(path: string, mib: number): Promise<Digest> {
  return (await writeBigBlob(path, mib)).digest as Digest
}

interface Push { ms: number; killed: boolean; patchedMiB: number }

/** One child push through `proxy`; SIGKILLed at `killAtBytes` PATCH bytes when given. */
function push(proxy: FaultProxy, hooks: { victim?: ChildProcess }, args: string[], killAtBytes?: number): Promise<Push> {
  const from = proxy.requests.length
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    const child = spawn(process.execPath, ['--import', 'tsx', SELF, '--child', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    child.stdout.resume()
    hooks.victim = killAtBytes !== undefined ? child : undefined
    ;(hooks as { at?: number }).at = killAtBytes
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      const ms = Math.round(performance.now() - t0)
      if (code !== 0 && signal !== 'SIGKILL') return reject(new Error(`push failed (${code}): ${stderr.slice(-2000)}`))
      const patched = proxy.requests.slice(from).filter((r) => r.method === 'PATCH').reduce((n, r) => n + r.bytesIn, 0)
      resolve({ ms, killed: signal === 'SIGKILL', patchedMiB: +(patched / MiB).toFixed(1) })
    })
  })
}

/** Registry + proxy for one measurement; the proxy kills `hooks.victim` once `hooks.at` PATCH bytes arrived. */
async function setup(buffered: boolean): Promise<{ proxy: FaultProxy; hooks: { victim?: ChildProcess; at?: number }; stop(): Promise<void> }> {
  const reg = await startRegistry({ variant: 'http' })
  const hooks: { victim?: ChildProcess; at?: number } = {}
  let base = 0
  const proxy = await startFaultProxy(reg.url, [], {
    bufferRequests: buffered,
    onRequestBytes: (rec) => {
      if (rec.method !== 'PATCH' || !hooks.victim || hooks.at === undefined) return
      const n = proxy.requests.slice(base).filter((r) => r.method === 'PATCH').reduce((s, r) => s + r.bytesIn, 0)
      if (n >= hooks.at) {
        hooks.victim.kill('SIGKILL')
        hooks.victim = undefined
        base = proxy.requests.length
      }
    },
  })
  return { proxy, hooks, stop: async () => { await proxy.stop(); await reg.stop() } }
}

/** Runs the benchmark and returns its result object. */
export async function run(opts: { sizeMiB?: number; runs?: number; chunkMiB?: number } = {}): Promise<Record<string, unknown>> {
  const sizeMiB = opts.sizeMiB ?? 190
  const runs = opts.runs ?? 3
  const chunkMiB = opts.chunkMiB ?? 32
  const work = await mkdtemp(join(tmpdir(), 'lading-bench-resume-'))
  try {
    const file = join(work, 'blob.bin')
    const digest = await makeFile(file, sizeMiB)
    const size = sizeMiB * MiB
    const rows: Record<string, Push[]> = { fullStream: [], fullChunked: [], killedBuffered: [], rerunBuffered: [], killedDirect: [], rerunDirect: [] }
    for (let i = 0; i < runs; i++) {
      for (const [name, chunk] of [['fullStream', 0], ['fullChunked', chunkMiB * MiB]] as const) {
        const s = await setup(false)
        try {
          rows[name]!.push(await push(s.proxy, s.hooks, [s.proxy.host, 'bench/full', file, digest, String(size), join(work, `state-${name}-${i}`), String(chunk)]))
        } finally {
          await s.stop()
        }
      }
      for (const buffered of [true, false]) {
        const s = await setup(buffered)
        const tag = buffered ? 'Buffered' : 'Direct'
        try {
          const args = [s.proxy.host, 'bench/resume', file, digest, String(size), join(work, `state-${tag}-${i}`), String(chunkMiB * MiB)]
          rows[`killed${tag}`]!.push(await push(s.proxy, s.hooks, args, Math.round(size * 0.9)))
          await new Promise((ok) => setTimeout(ok, 300)) // the registry notices the dead connection
          rows[`rerun${tag}`]!.push(await push(s.proxy, s.hooks, args))
        } finally {
          await s.stop()
        }
      }
    }
    const summary = (xs: Push[]): Record<string, number> => ({
      ms: Math.round(median(xs.map((x) => x.ms))), sentMiB: median(xs.map((x) => x.patchedMiB)),
      sentFraction: +(median(xs.map((x) => x.patchedMiB)) / sizeMiB).toFixed(3),
    })
    const fullStream = summary(rows.fullStream!)
    const fullChunked = summary(rows.fullChunked!)
    return {
      benchmark: 'push-resume',
      command: `npx tsx benchmarks/push-resume.ts --size-mb ${sizeMiB} --runs ${runs} --chunk-mb ${chunkMiB}`,
      sizeMiB,
      runs,
      chunkMiB,
      fullStream,
      fullChunked,
      chunkCost: +(fullChunked.ms! / fullStream.ms!).toFixed(2),
      chunkCostMeaning: 'full push time with resumable chunks / with one streamed PATCH',
      rerunBuffered: summary(rows.rerunBuffered!),
      rerunBufferedMeaning: 'second push after kill -9 at 90%, behind a request-buffering proxy (session kept)',
      rerunDirect: summary(rows.rerunDirect!),
      rerunDirectMeaning: 'second push after kill -9 at 90%, straight to distribution 2.8 (it cancels the cut session)',
      rerunVsFull: +(summary(rows.rerunBuffered!).ms! / fullChunked.ms!).toFixed(2),
      raw: rows,
      machine: machine(),
    }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

/** The child: one push with a client that keeps interrupted uploads in STATE_DIR. */
async function child(args: string[]): Promise<void> {
  const [host, repository, file, digest, size, stateDir, chunk] = args as [string, string, string, string, string, string, string]
  const client = createRegistryClient({ uploadStateDir: stateDir, resumableChunkSize: Number(chunk), retry: { baseDelayMs: 5, maxDelayMs: 20 } })
  await client.repository({ registry: host, repository }).blobs.put(() => createReadStream(file, { highWaterMark: MiB }),
    { digest: digest as Digest, size: Number(size) })
  await client.close()
}

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name)
  return i > 0 ? Number(process.argv[i + 1]) : fallback
}

if (process.argv[1] && SELF === process.argv[1]) {
  const i = process.argv.indexOf('--child')
  const job = i > 0
    ? child(process.argv.slice(i + 1)).then(() => undefined)
    : run({ sizeMiB: flag('--size-mb', 190), runs: flag('--runs', 3), chunkMiB: flag('--chunk-mb', 32) })
      .then((r) => { process.stdout.write(`${JSON.stringify(r, null, 2)}\n`) })
  job.catch((err) => {
    process.stderr.write(`${(err as Error).stack ?? err}\n`)
    process.exit(1)
  })
}
