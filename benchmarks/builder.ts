/**
 * Benchmark: builds with a 10-buildpack builder from the registry — cold (empty cache), warm (same
 * builder again), after one buildpack changed (a new builder every run) — and `builder create` of
 * an unchanged builder, each against what a tool that pulls whole images pays: `skopeo copy` of
 * the whole builder into an empty OCI layout (cold), into a layout holding the builder already
 * (warm), or the changed builder into the layout holding the one before; and `skopeo copy` of the
 * builder to a new tag in its own repository for the second create. Both sides are whole
 * processes under the harness (interleaved, 5+ counted runs after a warm-up), every run through a
 * counting proxy. The checks hold on every counted run: a cold build fetches every buildpack layer,
 * a warm build none, a changed builder one, and `builder create` of an unchanged builder uploads no
 * blob. The builder is scaled to BENCH_SIZE_MB/32 MiB per buildpack (8 at the default 256, 1..32).
 * Usage: npx tsx benchmarks/builder.ts [--size-mb 256] [--runs 5]
 */
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { makeBaseImages, pushBaseImages } from '../registry-fixtures/index.js'
import { cliOptions, compare, timeCmd, type BenchOptions, type BenchResult, type RunInfo, type Sample, type Side, type Work } from './lib/harness.js'
import { startCountingRegistry, type CountingRegistry } from './lib/counting-registry.js'
import { runAsScript } from './lib/main.js'
import { benchDir } from './lib/temp.js'

const LADING = fileURLToPath(new URL('../bin/lading', import.meta.url))
const COUNT = 10

async function buildpack(dir: string, i: number, mib: number, seed: string): Promise<void> {
  await mkdir(join(dir, 'bin'), { recursive: true })
  await writeFile(join(dir, 'buildpack.toml'), `api = "0.10"\n[buildpack]\nid = "bench/bp${i}"\nversion = "1.0.0"\n[[targets]]\nos = "linux"\n`)
  await writeFile(join(dir, 'bin/detect'), '#!/bin/sh\nexit 0\n')
  await writeFile(join(dir, 'bin/build'), `#!/bin/sh\nset -eu\necho "bp${i}: $(/bin/busybox wc -c < "$CNB_BUILDPACK_DIR/payload") bytes of payload"\n`)
  await chmod(join(dir, 'bin/detect'), 0o755)
  await chmod(join(dir, 'bin/build'), 0o755)
  // Incompressible, so layer sizes are what they say.
  await writeFile(join(dir, 'payload'), Buffer.concat([Buffer.from(seed), randomBytes(mib << 20)]))
}

/** What a run moved through the proxy: blob downloads (layers: bodies over 64 KiB, bigger than any config or manifest here) and uploads. */
function moved(cr: CountingRegistry, from: number): Work {
  const qs = cr.proxy.requests.slice(from)
  const gets = qs.filter((q) => q.method === 'GET' && /\/blobs\/sha256:/.test(q.path))
  return {
    requests: qs.length,
    blobBytesDown: gets.reduce((n, q) => n + q.bytesOut, 0),
    layerBlobsDown: gets.filter((q) => q.bytesOut > 65536).length,
    blobBytesUp: qs.filter((q) => /\/blobs\/uploads\//.test(q.path) && (q.method === 'PATCH' || q.method === 'PUT')).reduce((n, q) => n + q.bytesIn, 0),
  }
}

/** The last line of a `--json` command's output. */
const lastJson = (s: Sample): Record<string, any> => JSON.parse(s.stdout.trim().split('\n').pop()!) as Record<string, any>

const mib1 = (b: number | undefined): number => Math.round((b ?? 0) / 2 ** 20 * 10) / 10

/** Runs the benchmark and returns one row per scenario. */
export async function run(opts: BenchOptions): Promise<BenchResult> {
  const mib = Math.max(1, Math.min(32, Math.floor(opts.sizeMiB / 32)))
  const work = await benchDir('builder')
  const cr = await startCountingRegistry()
  try {
    const base = await makeBaseImages(join(work, 'base'))
    await pushBaseImages(base.layout, cr.direct)
    for (let i = 0; i < COUNT; i++) await buildpack(join(work, `bp${i}`), i, mib, `seed-${i}`)
    const order = Array.from({ length: COUNT }, (_, i) => `[[order.group]]\nid = "bench/bp${i}"\n`).join('')
    const config = join(work, 'builder.toml')
    // The builder names the proxy, so every build goes through it and is counted.
    await writeFile(config, `${Array.from({ length: COUNT }, (_, i) => `[[buildpacks]]\nuri = "bp${i}"\n`).join('')}[[order]]\n${order}` +
      `[build]\nimage = "${cr.host}/build:latest"\n[[run.images]]\nimage = "${cr.host}/run:v1"\n`)
    const app = join(work, 'app')
    await mkdir(app)
    await writeFile(join(app, 'index.txt'), 'app\n')
    const envFor = (home: string): NodeJS.ProcessEnv => ({ ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_CACHE_HOME: join(home, '.cache') })
    const createEnv = envFor(join(work, 'create-home'))
    const create = (tag: string): string[] => [LADING, 'builder', 'create', `${cr.host}/bench/builder:${tag}`, '--config', config, '--json']
    let mark = cr.proxy.requests.length
    const first = await timeCmd({ argv: create('1'), env: createEnv })
    const firstCreate = { wallMs: Math.round(first.wallMs), ...moved(cr, mark) }

    const build = (home: string, builderTag: (r: RunInfo) => Promise<string> | string, fresh: boolean): Side => {
      let from = 0
      return {
        name: 'lading build',
        async prepare(r) {
          if (fresh) await rm(home, { recursive: true, force: true })
          const tag = await builderTag(r)
          from = cr.proxy.requests.length
          return { argv: [LADING, 'build', `${cr.host}/bench/app:1`, '--path', app, '--builder', `${cr.host}/bench/builder:${tag}`, '--json'], env: envFor(home) }
        },
        finish(r, s) {
          const bp = lastJson(s).buildpackLayers as { layersFetched: number; bytesFetched: number }
          return r.warmup && !fresh ? undefined : { ...moved(cr, from), buildpackLayersFetched: bp.layersFetched }
        },
      }
    }
    const skopeo = (name: string, layout: string, builderTag: (r: RunInfo) => Promise<string> | string, fresh: boolean): Side => {
      let from = 0
      return {
        name,
        async prepare(r) {
          if (fresh) await rm(layout, { recursive: true, force: true })
          const tag = await builderTag(r)
          from = cr.proxy.requests.length
          return { argv: ['skopeo', 'copy', '--quiet', '--src-tls-verify=false', `docker://${cr.host}/bench/builder:${tag}`, `oci:${layout}:b`] }
        },
        finish: (r) => (r.warmup && !fresh ? undefined : moved(cr, from)),
      }
    }
    /** Every counted run's `key` on one side, as "a/b/c" when they differ. */
    const each = (ws: Work[], key: string): number[] => ws.map((w) => w[key] ?? NaN)
    const seen = (xs: number[]): string => [...new Set(xs)].join('/')

    const rows = []
    rows.push(await compare({
      id: 'builder-cold', title: `cold build + publish with a ${COUNT}-buildpack builder (${COUNT} × ${mib} MiB) vs \`skopeo copy\` of the whole builder to an empty OCI layout (the fetch alone)`,
      runs: opts.runs, warmup: opts.warmup,
      lading: build(join(work, 'home-cold'), () => '1', true),
      peer: skopeo('skopeo copy of the whole builder', join(work, 'layout-cold'), () => '1', true),
      check: (l, p, all) => {
        const fetched = each(all.lading, 'buildpackLayersFetched')
        return { ok: fetched.every((n) => n === COUNT) && each(all.peer, 'layerBlobsDown').every((n) => n >= COUNT),
          note: `buildpack layers fetched ${seen(fetched)} of ${COUNT} every run; layer blobs downloaded ${l?.layerBlobsDown} vs ${p?.layerBlobsDown}, ${mib1(l?.blobBytesDown)} vs ${mib1(p?.blobBytesDown)} MiB` }
      },
    }))
    const warmHome = join(work, 'home-warm')
    const warmLayout = join(work, 'layout-warm')
    rows.push(await compare({
      id: 'builder-warm', title: `warm build + publish with the same builder (${COUNT} × ${mib} MiB) vs \`skopeo copy\` of the builder to a layout that holds it`,
      runs: opts.runs, warmup: opts.warmup,
      lading: build(warmHome, () => '1', false),
      peer: skopeo('skopeo copy to a layout with the builder', warmLayout, () => '1', false),
      check: (l, p, all) => {
        const fetched = each(all.lading, 'buildpackLayersFetched')
        return { ok: fetched.every((n) => n === 0) && each(all.peer, 'layerBlobsDown').every((n) => n === 0),
          note: `buildpack layers fetched ${seen(fetched)} every run (must be 0); layer blobs downloaded ${l?.layerBlobsDown} vs ${p?.layerBlobsDown}` }
      },
    }))
    // One buildpack changes before every run (new payload), and the builder is created again
    // under a new tag (untimed); both sides then fetch that builder.
    const changed = new Map<number, Promise<string>>()
    const changedBuilder = (r: RunInfo): Promise<string> => {
      if (!changed.has(r.index)) {
        changed.set(r.index, (async () => {
          const tag = `changed${r.index < 0 ? `w${-r.index}` : r.index}`
          await writeFile(join(work, 'bp3', 'payload'), Buffer.concat([Buffer.from(`changed-${r.index}`), randomBytes(mib << 20)]))
          await timeCmd({ argv: create(tag), env: createEnv })
          return tag
        })())
      }
      return changed.get(r.index)!
    }
    let lastChanged = '1'
    rows.push(await compare({
      id: 'builder-changed', title: `build + publish after one of ${COUNT} buildpacks changed (a new builder) vs \`skopeo copy\` of the new builder to a layout that holds the old`,
      runs: opts.runs, warmup: opts.warmup,
      lading: build(warmHome, async (r) => (lastChanged = await changedBuilder(r)), false),
      peer: skopeo('skopeo copy to a layout with the old builder', warmLayout, changedBuilder, false),
      check: (l, p, all) => {
        const fetched = each(all.lading, 'buildpackLayersFetched')
        return { ok: fetched.every((n) => n === 1) && each(all.peer, 'layerBlobsDown').every((n) => n === 1),
          note: `buildpack layers fetched ${seen(fetched)} every run (must be 1); layer blobs downloaded ${l?.layerBlobsDown} vs ${p?.layerBlobsDown}, ${mib1(l?.blobBytesDown)} vs ${mib1(p?.blobBytesDown)} MiB` }
      },
    }))
    // The config now describes the last changed builder, whose blobs are all in bench/builder.
    let again = 0
    const uploads = (from: number): Work => moved(cr, from)
    let fromL = 0
    let fromP = 0
    rows.push(await compare({
      id: 'builder-create-again', title: `\`lading builder create\` of an unchanged builder (${COUNT} × ${mib} MiB, a new tag) vs \`skopeo copy\` of it to a new tag in its repository`,
      runs: opts.runs, warmup: opts.warmup,
      lading: {
        name: 'lading builder create',
        prepare() {
          fromL = cr.proxy.requests.length
          return { argv: create(`again${again++}`), env: createEnv }
        },
        finish: (_r, s) => ({ ...uploads(fromL), blobsUploaded: (lastJson(s).transfer as { blobsUploaded: number }).blobsUploaded }),
      },
      peer: {
        name: 'skopeo copy to a new tag',
        prepare() {
          fromP = cr.proxy.requests.length
          return { argv: ['skopeo', 'copy', '--quiet', '--src-tls-verify=false', '--dest-tls-verify=false',
            `docker://${cr.host}/bench/builder:${lastChanged}`, `docker://${cr.host}/bench/builder:peer${again++}`] }
        },
        finish: () => uploads(fromP),
      },
      check: (l, p, all) => {
        const up = each(all.lading, 'blobsUploaded')
        const bytes = [...each(all.lading, 'blobBytesUp'), ...each(all.peer, 'blobBytesUp')]
        return { ok: up.every((n) => n === 0) && bytes.every((n) => n === 0),
          note: `blobs uploaded ${seen(up)} every run (must be 0); blob bytes uploaded ${l?.blobBytesUp} vs ${p?.blobBytesUp}; requests ${l?.requests} vs ${p?.requests}` }
      },
    }))
    return {
      benchmark: 'builder', command: `npx tsx benchmarks/builder.ts --size-mb ${opts.sizeMiB} --runs ${opts.runs}`,
      buildpacks: COUNT, mibPerBuildpack: mib, firstCreate, rows,
    }
  } finally {
    await cr.stop()
    await rm(work, { recursive: true, force: true })
  }
}

runAsScript(import.meta.url, () => run(cliOptions(256)))
