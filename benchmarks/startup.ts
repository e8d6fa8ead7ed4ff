/**
 * Benchmark: one-off commands, where Node's start-up is most of the time. `lading --version`,
 * `digest`, `manifest` and `config` against `node -e ''` (the floor any Node CLI pays; the issue's
 * targets are 1.3× and 1.5× of it), `digest` against `skopeo inspect --raw`, one `lading rebase`
 * against `node -e ''` (target: under 100 ms), and `lading copy` inside one registry against
 * `skopeo copy`, all against a loopback registry. The one-off commands are also held to the
 * issue's 1.3× `node -e ''` plus their network time, read at the proxy in runs of their own.
 * Usage: npx tsx benchmarks/startup.ts [--runs 10]
 */
import { cp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { makeBaseImages, pushBaseImages, SAMPLES } from '../registry-fixtures/index.js'
import { withLabels } from '../lib/image/index.js'
import { parseReference } from '../lib/oci/index.js'
import { createRegistryClient } from '../lib/registry/index.js'
import { fetchImage, pushImage } from '../lib/remote/index.js'
import { cliOptions, compare, timeCmd, type BenchOptions, type BenchResult, type Row, type Side, type Target } from './lib/harness.js'
import { networkTime, type NetworkTime } from './lib/network-time.js'
import { registrySide, startCountingRegistry, type CountingRegistry } from './lib/counting-registry.js'
import { runAsScript } from './lib/main.js'
import { benchDir } from './lib/temp.js'

const LADING = fileURLToPath(new URL('../bin/lading', import.meta.url))
const NODE: Side = { name: "node -e ''", prepare: () => ({ argv: [process.execPath, '-e', ''] }) }

/** Runs the benchmark and returns its rows. */
export async function run(opts: BenchOptions): Promise<BenchResult> {
  const runs = Math.max(10, opts.runs * 2) // ~0.1 s each: more runs cost little and steady the medians
  const work = await benchDir('startup')
  const cr = await startCountingRegistry()
  const rows: Row[] = []
  try {
    const base = await makeBaseImages(join(work, 'base'))
    await pushBaseImages(base.layout, cr.direct)
    const ratioAtLeast = (min: number, text: string) => (r: Omit<Row, 'target'>) => ({ text, met: r.ratio.median >= min })
    rows.push(await compare({
      id: 'version', title: '`lading --version` vs `node -e \'\'`', runs, warmup: opts.warmup,
      lading: { name: 'lading --version', prepare: () => ({ argv: [LADING, '--version'] }) }, peer: NODE,
      target: ratioAtLeast(1 / 1.3, 'within 1.3× of node -e \'\''),
    }))
    for (const cmd of ['digest', 'manifest', 'config']) {
      const net = await networkTime(cr, (h) => ({ argv: [LADING, cmd, `${h}/run:v1`] }))
      rows.push(await compare({
        id: cmd, title: `\`lading ${cmd}\` (loopback registry) vs \`node -e ''\``, runs, warmup: opts.warmup,
        lading: registrySide(`lading ${cmd}`, cr, (h) => [LADING, cmd, `${h}/run:v1`]), peer: NODE,
        target: ratioAtLeast(1 / 1.5, 'within 1.5× of node -e \'\''),
        targets: (r) => [withinNetwork(r, net)],
      }))
    }
    rows.push(await compare({
      id: 'digest-vs-skopeo', title: '`lading digest` vs `skopeo inspect --raw`', runs, warmup: opts.warmup,
      lading: registrySide('lading digest', cr, (h) => [LADING, 'digest', `${h}/run:v1`]),
      peer: registrySide('skopeo inspect --raw', cr, (h) => ['skopeo', 'inspect', '--raw', '--tls-verify=false', `docker://${h}/run:v1`]),
      check: (l, p) => ({ ok: !!l?.requests && !!p?.requests, note: `requests ${l?.requests} vs ${p?.requests}; manifest bytes read ${l?.bytesDown} vs ${p?.bytesDown}` }),
    }))
    rows.push(await rebaseOne(cr, work, runs, opts.warmup))
    // Every run copies into a repository of its own, so each side mounts every blob afresh.
    rows.push(await compare({
      id: 'copy-same-registry', title: '`lading copy` inside one registry vs `skopeo copy`', runs: opts.runs, warmup: opts.warmup,
      lading: registrySide('lading copy', cr, (h, r) => [LADING, 'copy', `${h}/run:v1`, `${h}/copies/lading${r.index + 100}:1`, '--quiet']),
      peer: registrySide('skopeo copy', cr, (h, r) => ['skopeo', 'copy', '--quiet', '--src-tls-verify=false', '--dest-tls-verify=false',
        `docker://${h}/run:v1`, `docker://${h}/copies/skopeo${r.index + 100}:1`]),
      // Same result, different means: lading mounts each blob (no bytes), skopeo pulls and pushes them.
      check: (l, p) => ({ ok: !!l && !!p && (l.mounts ?? 0) + (l.blobBytesUp ?? 0) > 0 && (p.mounts ?? 0) + (p.blobBytesUp ?? 0) > 0,
        note: `requests ${l?.requests} vs ${p?.requests}; blobs mounted ${l?.mounts} vs ${p?.mounts}; blob bytes uploaded ${l?.blobBytesUp} vs ${p?.blobBytesUp}` }),
      target: ratioAtLeast(1 / 1.2, 'within 1.2× of skopeo'),
    }))
    return { benchmark: 'startup', command: `npx tsx benchmarks/startup.ts --runs ${opts.runs}`, rows }
  } finally {
    await cr.stop()
    await rm(work, { recursive: true, force: true })
  }
}

/**
 * One CLI rebase of an app image built by `lading build`: before every run run:current moves to
 * the other base (v1, or v2 relabelled as a patch of the same distro), so every run rebases.
 */
async function rebaseOne(cr: CountingRegistry, work: string, runs: number, warmup: number): Promise<Row> {
  const client = createRegistryClient({})
  const repo = (ref: string) => client.repository(parseReference(ref))
  try {
    const bases = [
      await fetchImage(repo(`${cr.direct}/run:v1`), 'v1'),
      withLabels(await fetchImage(repo(`${cr.direct}/run:v2`), 'v2'), { 'io.buildpacks.base.distro.version': '1' }),
    ]
    let next = 0
    const flip = async (): Promise<void> => {
      await pushImage(repo(`${cr.direct}/run:current`), bases[next]!, ['current'])
      next = 1 - next
    }
    await flip()
    const app = join(work, 'app')
    await cp(SAMPLES.apps.bench, app, { recursive: true })
    // The same app twice: named through the registry (timed runs) and through its counting proxy
    // (network time). Its run image is named through the same host, so both rebases make the
    // same requests to one registry: named through the other, a rebase would copy the new base's
    // layers from "another registry".
    // Two repositories: both names reach the one registry behind, where one tag would hold one label.
    const appRef = (h: string) => `${h}/bench/${h === cr.host ? 'app-net' : 'app'}:1`
    for (const h of [cr.direct, cr.host]) {
      await timeCmd({ argv: [LADING, 'build', appRef(h), '--path', app, '--buildpacks-dir', SAMPLES.buildpacksDir,
        '--run-image', `${h}/run:current`, '--env', 'BP_DEPS_SIZE_MB=1', '--quiet'] })
    }
    const argv = (h: string) => [LADING, 'rebase', appRef(h), '--quiet']
    const net = await networkTime(cr, async (h) => {
      await flip()
      return { argv: argv(h) }
    })
    return await compare({
      // Two warm-ups: the first rebase onto each base uploads its new config, later ones find it.
      id: 'rebase-start', title: 'one `lading rebase` (loopback registry) vs `node -e \'\'`', runs, warmup: Math.max(2, warmup),
      lading: {
        name: 'lading rebase',
        async prepare() {
          await flip()
          return { argv: argv(cr.direct) }
        },
      },
      peer: NODE,
      target: (r) => ({ text: 'under 100 ms', met: r.lading.wallMs.median < 100 }),
      targets: (r) => [withinNetwork(r, net)],
    })
  } finally {
    await client.close()
  }
}

/**
 * The bound for a one-off command: 1.3× `node -e ''` plus the command's network time
 * (read at the registry's proxy in runs of its own, benchmarks/lib/network-time.ts).
 */
export function withinNetwork(r: Omit<Row, 'target'>, net: NetworkTime): Target {
  const bound = Math.round((1.3 * r.peer.wallMs.median + net.ms.median) * 10) / 10
  return {
    text: `within 1.3× node -e '' + network time (${net.ms.median} ms, ${net.ms.min}–${net.ms.max}, ${net.requests[0]} requests; bound ${bound} ms)`,
    met: r.lading.wallMs.median <= bound,
  }
}

runAsScript(import.meta.url, () => run(cliOptions(0)))
