/**
 * Benchmark: build + publish of the sample app with a sizeable dependency layer — cold, no
 * change, app change — with `lading build` and with `buildah bud` + `buildah push` of an
 * equivalent Containerfile, in the same run, through a byte-counting proxy in front of a fresh
 * loopback registry per tool.
 * Usage: npx tsx benchmarks/build.ts [--size-mb 256]
 */
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { startRegistry, startFaultProxy, makeBaseImages, pushBaseImages, SAMPLES, type FaultProxy } from '../registry-fixtures/index.js'
import { timeChild, machine } from './lib/measure.js'
import { buildahPeer, uploadedBytes } from './lib/data.js'

const LADING = fileURLToPath(new URL('../bin/lading', import.meta.url))
type Step = { ms: number; bytesUploaded: number }

const uploaded = uploadedBytes

async function withRegistry<T>(work: string, fn: (proxy: FaultProxy, host: string) => Promise<T>): Promise<T> {
  const reg = await startRegistry({ variant: 'http' })
  const proxy = await startFaultProxy(reg.url)
  try {
    const base = await makeBaseImages(join(work, `base-${Date.now()}`))
    await pushBaseImages(base.layout, reg.host)
    return await fn(proxy, reg.host)
  } finally {
    await proxy.stop()
    await reg.stop()
  }
}

async function step(proxy: FaultProxy, cmd: string, args: string[][], cwd?: string): Promise<Step> {
  const mark = proxy.requests.length
  spawnSync('sync')
  let ms = 0
  for (const a of args) {
    const r = await timeChild(cmd, a, cwd ? { cwd } : {})
    if (r.code !== 0) throw new Error(`${cmd} ${a.join(' ')} failed: ${r.stderr.slice(-2000)}`)
    ms += r.ms
  }
  return { ms: Math.round(ms), bytesUploaded: uploaded(proxy, mark) }
}

/** Runs the benchmark and returns its result object. */
export async function run(opts: { sizeMiB?: number } = {}): Promise<Record<string, unknown>> {
  const sizeMiB = Math.min(opts.sizeMiB ?? 256, 512)
  const work = await mkdtemp(join(tmpdir(), 'lading-bench-build-'))
  try {
    const app = join(work, 'app')
    await cp(SAMPLES.apps.bench, app, { recursive: true })
    const lading = await withRegistry(work, async (proxy) => {
      const args = ['build', `${proxy.host}/bench/app:1`, '--path', app, '--buildpacks-dir', SAMPLES.buildpacksDir,
        '--run-image', `${proxy.host}/run:v1`, '--env', `BP_DEPS_SIZE_MB=${sizeMiB}`, '--cache-image', `${proxy.host}/bench/cache:1`, '--quiet']
      const cold = await step(proxy, LADING, [args])
      const noChange = await step(proxy, LADING, [args])
      await writeFile(join(app, 'message.txt'), 'changed\n')
      const appChange = await step(proxy, LADING, [args])
      return { cold, noChange, appChange }
    })
    // The Containerfile way: the same dependency bytes and app files, on the same run image.
    const peer = await buildahPeer(work, sizeMiB, SAMPLES.apps.bench)
    const buildah = await withRegistry(work, async (proxy) => {
      const cmds = await peer.commands(`${proxy.host}/run:v1`, `${proxy.host}/bench/buildah:1`)
      const cold = await step(proxy, 'buildah', cmds)
      const noChange = await step(proxy, 'buildah', cmds)
      await writeFile(join(peer.ctx, 'app', 'message.txt'), 'changed\n')
      const appChange = await step(proxy, 'buildah', cmds)
      return { cold, noChange, appChange }
    })
    const ratio = (k: 'cold' | 'noChange' | 'appChange'): number => +(buildah[k].ms / lading[k].ms).toFixed(2)
    return {
      benchmark: 'build-publish',
      command: `npx tsx benchmarks/build.ts --size-mb ${sizeMiB}`,
      sizeMiB,
      lading: { ...lading, ms: lading.noChange.ms },
      peer: { name: 'buildah bud + buildah push', ...buildah, ms: buildah.noChange.ms },
      ratio: ratio('noChange'),
      ratios: { cold: ratio('cold'), noChange: ratio('noChange'), appChange: ratio('appChange') },
      ratioMeaning: 'peer time / lading time per scenario; above 1 means lading is faster. Top-level ms/ratio: the no-change rebuild',
      machine: machine(),
    }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf('--size-mb')
  run({ sizeMiB: i > 0 ? Number(process.argv[i + 1]) : 256 })
    .then((r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`))
    .catch((err) => {
      process.stderr.write(`${err.stack ?? err}\n`)
      process.exit(1)
    })
}
