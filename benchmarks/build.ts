/**
 * Benchmark: build + publish of the sample app with a large incompressible dependency layer —
 * cold, no change, app change — `lading build` against `buildah bud` + `buildah push` of an
 * equivalent Containerfile on the same run image, both whole processes, interleaved, 5+ runs
 * each. Cold runs get a fresh registry and fresh local state every time; no-change and
 * app-change runs share one registry per side (the app-change runs alternate the app's
 * message.txt, so every one of them has a change). Every run goes through a counting proxy: cold
 * runs must upload the same blob bytes within 5%; rebuilds report what each side uploaded.
 * Usage: npx tsx benchmarks/build.ts [--size-mb 256] [--runs 5]
 */
import { cp, mkdir, rm, writeFile } from 'node:fs/promises'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { makeBaseImages, pushBaseImages, SAMPLES } from '../registry-fixtures/index.js'
import { cliOptions, compare, sameCounts, timeCmd, type BenchOptions, type BenchResult, type Row, type Side, type Work } from './lib/harness.js'
import { startCountingRegistry, type CountingRegistry } from './lib/counting-registry.js'
import { buildahPeer } from './lib/data.js'
import { runAsScript } from './lib/main.js'
import { benchDir } from './lib/temp.js'

const LADING = fileURLToPath(new URL('../bin/lading', import.meta.url))

type Scenario = 'cold' | 'noChange' | 'appChange'

/** Runs the benchmark and returns one row per scenario. */
export async function run(opts: BenchOptions): Promise<BenchResult> {
  const sizeMiB = Math.min(opts.sizeMiB, 512)
  const work = await benchDir('build')
  const registries: CountingRegistry[] = []
  try {
    const base = await makeBaseImages(join(work, 'base'))
    const freshRegistry = async (): Promise<CountingRegistry> => {
      const cr = await startCountingRegistry()
      registries.push(cr)
      await pushBaseImages(base.layout, cr.direct)
      return cr
    }
    const stop = async (cr: CountingRegistry): Promise<void> => {
      registries.splice(registries.indexOf(cr), 1)
      await cr.stop()
    }
    const app = join(work, 'app')
    await cp(SAMPLES.apps.bench, app, { recursive: true })
    const peer = await buildahPeer(work, sizeMiB, SAMPLES.apps.bench)
    // lading's caches (layer stash, run-image index, code cache) live under this HOME, so a
    // cold run can start from nothing.
    const home = join(work, 'home')
    const env = { ...process.env, HOME: home, XDG_CACHE_HOME: join(home, '.cache') }
    const buildahRoot = join(work, 'buildah')

    const ladingCmd = (host: string): string[] => [LADING, 'build', `${host}/bench/app:1`, '--path', app, '--buildpacks-dir', SAMPLES.buildpacksDir,
      '--run-image', `${host}/run:v1`, '--env', `BP_DEPS_SIZE_MB=${sizeMiB}`, '--cache-image', `${host}/bench/cache:1`, '--quiet']
    const q = (a: string[]): string => a.map((x) => `'${x}'`).join(' ')
    const buildahCmd = async (host: string): Promise<string[]> => {
      const [bud, push] = await peer.commands(`${host}/run:v1`, `${host}/bench/buildah:1`)
      return ['bash', '-c', `buildah ${q(bud!)} >/dev/null && buildah ${q(push!)}`]
    }

    /** A side; `fresh`: a new registry and no local state before every run. */
    const side = (name: string, scenario: Scenario, cmd: (host: string) => Promise<string[]> | string[], reset: () => Promise<void>, change: (i: number) => Promise<void>): Side => {
      let cr: CountingRegistry | undefined
      let done: (() => Work) | undefined
      return {
        name,
        async prepare(r) {
          if (scenario === 'cold' || !cr) {
            if (cr) await stop(cr)
            await reset()
            cr = await freshRegistry()
            // no-change/app-change: the first build into this registry is not timed
            // (Never a synchronous spawn here: the counting proxy lives in this process.)
            if (scenario !== 'cold') await timeCmd({ argv: await cmd(cr.host), env })
          }
          if (scenario === 'appChange') await change(r.index)
          // Always through the proxy: a build's cache and previous image are found by name, so
          // every run must use the same host (the proxy's cost is small beside a build's).
          done = cr.mark()
          spawnSync('sync')
          return { argv: await cmd(cr.host), env }
        },
        async finish(_r) {
          const w = done?.()
          if (scenario === 'cold' && cr) {
            await stop(cr)
            cr = undefined
          }
          return w
        },
      }
    }
    const resetLading = async (): Promise<void> => { await rm(join(home, '.cache', 'lading'), { recursive: true, force: true }) }
    const resetBuildah = async (): Promise<void> => {
      spawnSync('buildah', ['--storage-driver', 'vfs', '--root', join(buildahRoot, 'root'), '--runroot', join(buildahRoot, 'runroot'), 'rm', '--all'])
      await rm(buildahRoot, { recursive: true, force: true })
      await mkdir(buildahRoot, { recursive: true })
    }
    const rows: Row[] = []
    const titles: Record<Scenario, string> = {
      cold: `cold build + publish (${sizeMiB} MiB incompressible deps) vs \`buildah bud\` + \`buildah push\``,
      noChange: 'no-change rebuild + publish vs `buildah bud` + `buildah push`',
      appChange: 'app-change rebuild + publish vs `buildah bud` + `buildah push`',
    }
    for (const scenario of ['cold', 'noChange', 'appChange'] as const) {
      rows.push(await compare({
        id: `build-${scenario === 'cold' ? 'cold' : scenario === 'noChange' ? 'no-change' : 'app-change'}`, title: titles[scenario],
        runs: opts.runs, warmup: opts.warmup,
        lading: side('lading build', scenario, ladingCmd, resetLading, (i) => writeFile(join(app, 'message.txt'), `change ${i}\n`)),
        peer: side('buildah bud + push', scenario, buildahCmd, resetBuildah, (i) => writeFile(join(peer.ctx, 'app', 'message.txt'), `change ${i}\n`)),
        // Cold: the same layers go up, so the bytes must match. Rebuilds: each side uploads what it
        // finds changed (that difference is what the row measures), so the bytes are reported only.
        check: scenario === 'cold' ? sameCounts(['blobBytesUp'], 0.05)
          : (l, p) => ({ ok: !!l?.requests && !!p?.requests, note: `blob bytes uploaded ${l?.blobBytesUp} vs ${p?.blobBytesUp}; requests ${l?.requests} vs ${p?.requests}` }),
        ...(scenario === 'cold' ? { target: (r: Omit<Row, 'target'>) => ({ text: 'CPU ≤ buildah\'s', met: r.lading.cpuS.median <= r.peer.cpuS.median }) } : {}),
      }))
      await resetBuildah()
    }
    return { benchmark: 'build', command: `npx tsx benchmarks/build.ts --size-mb ${sizeMiB} --runs ${opts.runs}`, sizeMiB, rows }
  } finally {
    for (const cr of registries) await cr.stop()
    await rm(work, { recursive: true, force: true })
  }
}

runAsScript(import.meta.url, () => run(cliOptions(256)))
