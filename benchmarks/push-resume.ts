/**
 * Benchmark: pushing again after an interrupted push (issue #10), and what resumable chunks cost.
 * Every run starts a fresh registry behind a byte-counting proxy. A first, untimed push of one
 * incompressible layer (`lading copy` or `skopeo copy` from the same OCI layout) gets SIGTERM (a
 * CI cancellation, `kill`) or SIGKILL (`kill -9`) from the proxy the moment 90% of the layer's
 * bytes have arrived; the timed run is the rerun. Rows, each lading vs skopeo side by side:
 * - SIGTERM at 90%, straight to distribution: lading finishes the chunk in flight and keeps its
 *   session, so the two runs together send the layer once;
 * - SIGKILL at 90%, straight to distribution: distribution cancels a session whose PATCH was cut,
 *   so lading's rerun restarts (like skopeo's);
 * - SIGKILL at 90% behind a proxy that buffers request bodies (nginx's default): the cut chunk never
 *   reached the registry, lading's rerun sends from the last acknowledged chunk (chunks after the
 *   first carry ~2 s of transfer, so on loopback that is most of the layer: ~2 s of work).
 * And the cost of resumable chunks: the same library push of a blob file in Content-Range chunks
 * (the default: 32 MiB, then about 2 s of transfer each; and all of 32 MiB) vs one streamed PATCH,
 * whole processes (one bundled script), interleaved (ratio > 1: chunks are faster).
 * Usage: npx tsx benchmarks/push-resume.ts [--size-mb 190] [--runs 5]
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startFaultProxy, startRegistry, writeBigBlob, type FaultProxy, type RegistryFixture } from '../registry-fixtures/index.js'
import { RESUMABLE_CHUNK_SECONDS, RESUMABLE_CHUNK_SIZE } from '../lib/registry/index.js'
import { cliOptions, compare, type BenchOptions, type BenchResult, type Row, type Side, type Work } from './lib/harness.js'
import { layoutWithDeps } from './lib/data.js'
import { runAsScript } from './lib/main.js'
import { benchDir } from './lib/temp.js'

const LADING = fileURLToPath(new URL('../bin/lading', import.meta.url))
const MiB = 1 << 20
const CHUNK = RESUMABLE_CHUNK_SIZE

type Signal = 'SIGTERM' | 'SIGKILL'
interface Scenario { id: string; title: string; signal: Signal; at: number; buffered: boolean }

const SCENARIOS: Scenario[] = [
  { id: 'resume-sigterm-90', title: 'push again after SIGTERM at 90%', signal: 'SIGTERM', at: 0.9, buffered: false },
  // At 90% the chunk in flight is often the last one, which the stop lets finish: 60% shows a stop mid-layer.
  { id: 'resume-sigterm-60', title: 'push again after SIGTERM at 60%', signal: 'SIGTERM', at: 0.6, buffered: false },
  { id: 'resume-sigkill-90', title: 'push again after kill -9 at 90%', signal: 'SIGKILL', at: 0.9, buffered: false },
  { id: 'resume-sigkill-90-buffered', title: 'push again after kill -9 at 90%, behind a request-buffering proxy', signal: 'SIGKILL', at: 0.9, buffered: true },
]

/** Layer bytes that arrived through `p` since request `from` (PATCH and PUT bodies of uploads). */
function blobBytes(p: FaultProxy, from = 0): number {
  return p.requests.slice(from).filter((q) => /\/blobs\/uploads\//.test(q.path) && (q.method === 'PATCH' || q.method === 'PUT'))
    .reduce((n, q) => n + q.bytesIn, 0)
}

/**
 * A side whose timed command is the rerun: prepare() starts a registry (and proxy), runs the first
 * push and interrupts it at 90% of `size`; finish() reports the bytes of both runs.
 */
function rerunSide(name: string, s: Scenario, size: number, argv: (host: string, home: string) => string[], work: string): Side {
  let reg: RegistryFixture | undefined
  let proxy: FaultProxy | undefined
  let first = { bytes: 0, code: null as number | null, signal: null as string | null }
  let mark = 0
  let n = 0
  return {
    name,
    async prepare() {
      const home = join(work, `home-${name.replace(/\W/g, '')}-${s.id}-${n++}`)
      await mkdir(home, { recursive: true })
      reg = await startRegistry({ variant: 'http' })
      let victim: ReturnType<typeof spawn> | undefined
      const p = await startFaultProxy(reg.url, [], {
        bufferRequests: s.buffered,
        onRequestBytes: (rec) => {
          if (victim && (rec.method === 'PATCH' || rec.method === 'PUT') && blobBytes(p) >= size * s.at) {
            victim.kill(s.signal)
            victim = undefined
          }
        },
      })
      proxy = p
      const cmd = argv(p.host, home)
      first = await new Promise((resolve, reject) => {
        const child = spawn(cmd[0]!, cmd.slice(1), { env: { ...process.env, HOME: home }, stdio: 'ignore' })
        victim = child
        child.on('error', reject)
        child.on('exit', (code, signal) => resolve({ bytes: 0, code, signal }))
      })
      first.bytes = blobBytes(p)
      await new Promise((ok) => setTimeout(ok, 300)) // the registry notices the closed connection
      mark = p.requests.length
      spawnSync('sync')
      return { argv: cmd, env: { ...process.env, HOME: home } }
    },
    async finish() {
      const rerun = proxy ? blobBytes(proxy, mark) : 0
      const w: Work = {
        firstRunMiB: +(first.bytes / MiB).toFixed(1), rerunMiB: +(rerun / MiB).toFixed(1),
        rerunShare: +(rerun / size).toFixed(3), bothRunsShare: +((first.bytes + rerun) / size).toFixed(3),
        firstExit: first.code ?? (first.signal === 'SIGKILL' ? 137 : -1),
      }
      await proxy?.stop()
      await reg?.stop()
      return w
    },
  }
}

/**
 * The push both chunk-cost sides run: the library's upload of a blob file, bundled once into plain
 * CommonJS so each run starts in Node's own time (tsx would add a second of compiling, and its noise).
 */
async function bundleChild(work: string): Promise<string> {
  const { build } = await import('esbuild')
  const outfile = join(work, 'push-blob.cjs')
  const registry = fileURLToPath(new URL('../lib/registry/index.ts', import.meta.url))
  await build({
    stdin: {
      contents: `import { createRegistryClient } from ${JSON.stringify(registry)}
const [host, file, digest, size, stateDir, chunk, seconds] = process.argv.slice(2)
const client = createRegistryClient({ uploadStateDir: stateDir, resumableChunkSize: Number(chunk), resumableChunkSeconds: Number(seconds) })
client.repository({ registry: host, repository: 'bench/chunks' }).blobs
  .put(() => { throw new Error('the file is read in place') }, { digest, size: Number(size) }, { file })
  .then(() => client.close(), (err) => { console.error(err); process.exitCode = 1; return client.close() })`,
      resolveDir: work, loader: 'ts',
    },
    bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile, logLevel: 'warning',
  })
  return outfile
}

/** A side pushing the blob file with the bundled child (chunked when `chunk` > 0) into a fresh registry. */
function chunkSide(name: string, child: string, file: string, digest: string, size: number, chunk: number, seconds: number, work: string): Side {
  let reg: RegistryFixture | undefined
  let n = 0
  return {
    name,
    async prepare() {
      reg = await startRegistry({ variant: 'http' })
      spawnSync('sync')
      // With the V8 flags bin/lading sets for `lading copy`: without them a fresh process compiles
      // undici's parser and hot code on background threads during the first chunk, which made
      // chunks look 6-20% slower than one PATCH here while the CLI itself showed no difference.
      const flags = ['--liftoff-only', '--no-turbofan', '--semi-space-growth-factor=1']
      return { argv: [process.execPath, ...flags, child, reg.host, file, digest, String(size), join(work, `state-${name.replace(/\W/g, '')}-${n++}`), String(chunk), String(seconds)] }
    },
    async finish() {
      await reg?.stop()
    },
  }
}

/** Runs the benchmark and returns its rows. */
export async function run(opts: BenchOptions): Promise<BenchResult> {
  const sizeMiB = opts.sizeMiB
  const work = await benchDir('resume')
  const rows: Row[] = []
  try {
    const layout = await layoutWithDeps(LADING, work, sizeMiB)
    const size = sizeMiB * MiB
    for (const s of SCENARIOS) {
      rows.push(await compare({
        id: s.id, title: `${s.title} of a ${sizeMiB} MiB layer (rerun timed) vs \`skopeo copy\``, runs: opts.runs, warmup: opts.warmup,
        lading: rerunSide('lading copy', s, size, (h) => [LADING, 'copy', `oci:${layout}:bench`, `${h}/bench/resume:1`, '--quiet'], work),
        peer: rerunSide('skopeo copy', s, size, (h) => ['skopeo', 'copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}:bench`, `docker://${h}/bench/resume:1`], work),
        // Both reruns end with the same image pushed; the bytes they need to get there are what this row compares.
        check: (l, p) => ({ ok: true, note: `rerun sent ${l?.rerunMiB} MiB (lading) vs ${p?.rerunMiB} MiB (skopeo); first run ${l?.firstRunMiB} vs ${p?.firstRunMiB} MiB` }),
        target: (r) => s.signal === 'SIGTERM'
          ? { text: 'the two runs send the layer once', met: (r.lading.work?.bothRunsShare ?? 2) <= 1.001 }
          // What followed the last acknowledged chunk: 10% plus up to one chunk (32 MiB, later ones ~2 s of transfer).
          : s.buffered ? { text: 'rerun resumes: sends less than the layer', met: (r.lading.work?.rerunShare ?? 1) < 0.999 }
          // A rerun that failed would have stopped the benchmark: getting here is the target.
          : { text: 'rerun succeeds (a restart: distribution forgot the session)', met: true },
      }))
    }
    // A blob file, read in place as `lading copy` reads a layout's blobs.
    const blob = await writeBigBlob(join(work, 'blob.bin'), sizeMiB)
    const child = await bundleChild(work)
    for (const [id, what, seconds] of [['push-chunks', 'resumable chunks (32 MiB, then ~2 s each: the default)', RESUMABLE_CHUNK_SECONDS],
      ['push-chunks-32', 'resumable chunks of 32 MiB each', 0]] as const) {
      rows.push(await compare({
        id, title: `push of a ${sizeMiB} MiB blob file in ${what} vs one streamed PATCH`, runs: opts.runs, warmup: opts.warmup,
        lading: chunkSide(what, child, blob.path, blob.digest, blob.size, CHUNK, seconds, work),
        peer: chunkSide('one streamed PATCH', child, blob.path, blob.digest, blob.size, 0, 0, work),
        target: (r) => ({ text: 'chunks cost ≤ 5% (ratio ≥ 0.95)', met: r.ratio.median >= 0.95 }),
      }))
    }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
  return { benchmark: 'push-resume', command: `npx tsx benchmarks/push-resume.ts --size-mb ${sizeMiB} --runs ${opts.runs}`, rows }
}

runAsScript(import.meta.url, () => run(cliOptions(190)))
