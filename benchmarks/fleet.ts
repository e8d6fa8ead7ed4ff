/**
 * Benchmark: `lading fleet plan` and `lading fleet apply` over 1,000 declared images in a loopback
 * registry, under the harness (whole processes, 5+ counted runs after a warm-up, every run
 * through a counting proxy, which the fleet file names). Rows:
 *  - idle plan (nothing to do) and plan after a change (100 images' run image has a new digest, 10
 *    images' git source a new commit; read-only, so every run plans the same), each against one
 *    `curl` process making the same reads (every image's manifest, 16 at a time): the floor any
 *    tool that checks each image pays; the check compares the manifest and config reads;
 *  - apply: before every run the run image gets a new digest again and the git source a new
 *    commit, so each run rebases 100 and builds 10 images (checked on every run). kpack, the peer,
 *    cannot be installed here: the row is lading's alone, and the peer column quotes kpack's
 *    published figure (50 images rebased in 61–171 s, buildpacks-community/kpack PR 176).
 * Usage: npx tsx benchmarks/fleet.ts [--runs 5] [--images 1000] [--rebase 100] [--changed 10] [--max-builds 2]
 */
import { execFileSync } from 'node:child_process'
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pLimit from 'p-limit'
import { makeBaseImages, pushBaseImages } from '../registry-fixtures/index.js'
import { parseReference } from '../lib/oci/index.js'
import { createRegistryClient } from '../lib/registry/index.js'
import { copyImage } from '../lib/remote/index.js'
import { cliOptions, compare, timeCmd, type BenchOptions, type BenchResult, type Sample, type Side, type Work } from './lib/harness.js'
import { startCountingRegistry, type CountingRegistry } from './lib/counting-registry.js'
import { numberFlag, runAsScript } from './lib/main.js'
import { benchDir } from './lib/temp.js'

const LADING = fileURLToPath(new URL('../bin/lading', import.meta.url))
/** kpack's published rebase figure (peers.md, row 3): 50 images, 61–171 s depending on where the rebase ran. */
const KPACK = { images: 50, secondsMin: 61, secondsMax: 171, source: 'https://github.com/buildpacks-community/kpack/pull/176' }

const git = (cwd: string, ...args: string[]): void => { execFileSync('git', ['-c', 'user.email=b@example.test', '-c', 'user.name=b', ...args], { cwd }) }

type FleetOut = { images: { action: string }[]; summary: Record<string, number> }
const out = (s: Sample): FleetOut => JSON.parse(s.stdout) as FleetOut
const count = (o: FleetOut, a: string): number => o.images.filter((i) => i.action === a).length

/** Requests since `from`, with the reads of the fleet's own repositories split out. */
function moved(cr: CountingRegistry, from: number): Work {
  const qs = cr.proxy.requests.slice(from)
  const own = qs.filter((q) => /^\/v2\/fleet\/app-\d+\//.test(q.path) && (q.method === 'GET' || q.method === 'HEAD'))
  return {
    requests: qs.length,
    manifestReads: own.filter((q) => /\/manifests\//.test(q.path)).length,
    blobReads: own.filter((q) => /\/blobs\/sha256:/.test(q.path)).length,
    bytesDown: qs.reduce((n, q) => n + q.bytesOut, 0),
    blobBytesUp: qs.filter((q) => /\/blobs\/uploads\//.test(q.path) && (q.method === 'PATCH' || q.method === 'PUT')).reduce((n, q) => n + q.bytesIn, 0),
  }
}

/** Runs the benchmark and returns its rows. */
export async function run(opts: BenchOptions & { images?: number; rebase?: number; changed?: number; maxBuilds?: number }): Promise<BenchResult> {
  const images = opts.images ?? 1000
  const nRebase = opts.rebase ?? 100
  const nChanged = opts.changed ?? 10
  const maxBuilds = opts.maxBuilds ?? 2
  const work = await benchDir('fleet')
  const env = { ...process.env, HOME: join(work, 'home') }
  const cr = await startCountingRegistry()
  const client = createRegistryClient({})
  const repo = (ref: string) => client.repository(parseReference(ref))
  try {
    const base = await makeBaseImages(join(work, 'base'))
    await pushBaseImages(base.layout, cr.direct)
    const h = cr.host
    // Two run image tags teams follow: run:stable (most images) and run:hot (nRebase images, patched below).
    for (const tag of ['stable', 'hot']) await copyImage(repo(`${cr.direct}/run:v1`), 'v1', repo(`${cr.direct}/run:${tag}`), [tag])
    const bp = join(work, 'bp')
    await mkdir(join(bp, 'bin'), { recursive: true })
    await writeFile(join(bp, 'buildpack.toml'), 'api = "0.10"\n[buildpack]\nid = "bench/static"\nversion = "1.0.0"\n')
    await writeFile(join(bp, 'bin', 'detect'), '#!/bin/sh\nexit 0\n')
    await writeFile(join(bp, 'bin', 'build'), '#!/bin/sh\nprintf \'[[processes]]\\ntype = "web"\\ncommand = ["cat", "/workspace/index.html"]\\ndefault = true\\n\' >"$CNB_LAYERS_DIR/launch.toml"\n')
    await chmod(join(bp, 'bin', 'detect'), 0o755)
    await chmod(join(bp, 'bin', 'build'), 0o755)
    await mkdir(join(work, 'app'))
    await writeFile(join(work, 'app', 'index.html'), '<p>hello</p>\n')
    const src = join(work, 'git-src')
    await mkdir(src)
    git(src, 'init', '-q', '-b', 'main')
    await writeFile(join(src, 'index.html'), '<p>v1</p>\n')
    git(src, 'add', '.')
    git(src, 'commit', '-qm', 'v1')

    // Kinds: 0..nChanged-1 git (changed later), next nRebase on run:hot, the rest on run:stable.
    const kind = (i: number): 'git' | 'hot' | 'stable' => i < nChanged ? 'git' : i < nChanged + nRebase ? 'hot' : 'stable'
    const entry = (tag: string, k: string): string => `[[images]]\ntag = "${tag}"\n` +
      (k === 'git' ? `git = "file://${src}"\nrevision = "main"\nrun-image = "${h}/run:stable"\n` : `path = "./app"\nrun-image = "${h}/run:${k}"\n`)
    const head = `[defaults]\nbuildpacks = ["./bp"]\n\n`
    // One seed build per kind, then the seeds copied to every tag (same declaration, same state).
    const seeds = join(work, 'seeds.toml')
    await writeFile(seeds, head + ['git', 'hot', 'stable'].map((k) => entry(`${h}/seed/${k}:1`, k)).join('\n'))
    await timeCmd({ argv: [LADING, 'fleet', 'apply', seeds, '--max-builds', '3', '--json'], env })
    const limit = pLimit(16)
    await Promise.all(Array.from({ length: images }, (_, i) => limit(() => copyImage(repo(`${cr.direct}/seed/${kind(i)}`), '1', repo(`${cr.direct}/fleet/app-${i}`), ['1']))))
    const file = join(work, 'fleet.toml')
    await writeFile(file, head + Array.from({ length: images }, (_, i) => entry(`${h}/fleet/app-${i}:1`, kind(i))).join('\n'))

    // The peer's reads: one curl process, every image's manifest, 16 at a time (lading's plan
    // reads each manifest and, thanks to the state summary a fleet build annotates the manifest
    // with, no config: so the same reads are the manifests).
    const accept = 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json'
    let curlFile: Promise<string> | undefined
    const curlConfig = (): Promise<string> => (curlFile ??= (async () => {
      const lines = [`header = "Accept: ${accept}"`, 'silent', 'fail']
      for (let i = 0; i < images; i++) lines.push(`url = "http://${h}/v2/fleet/app-${i}/manifests/1"`, 'output = "/dev/null"')
      const f = join(work, 'curl.conf')
      await writeFile(f, `${lines.join('\n')}\n`)
      return f
    })())
    const counted = (name: string, argv: () => Promise<string[]> | string[], expect?: (s: Sample) => void, before?: () => Promise<void>): Side => {
      let from = 0
      return {
        name,
        async prepare() {
          await before?.()
          const a = await argv()
          from = cr.proxy.requests.length
          return { argv: a, env }
        },
        finish(_r, s) {
          expect?.(s)
          return moved(cr, from)
        },
      }
    }
    const plan = (want: { upToDate: number; rebase: number; build: number }) => (s: Sample): void => {
      const o = out(s)
      const got = { upToDate: count(o, 'up-to-date'), rebase: count(o, 'rebase'), build: count(o, 'build') }
      if (got.upToDate !== want.upToDate || got.rebase !== want.rebase || got.build !== want.build) {
        throw new Error(`fleet plan: expected ${JSON.stringify(want)}, got ${JSON.stringify(o.summary)}: not the work every run must do`)
      }
    }
    const reads = (l?: Work, p?: Work): { ok: boolean; note: string } => ({
      ok: !!l && !!p && l.manifestReads === p.manifestReads && l.manifestReads === images && l.blobReads === p.blobReads,
      note: `manifest reads ${l?.manifestReads} vs ${p?.manifestReads}, config reads ${l?.blobReads} vs ${p?.blobReads}; requests ${l?.requests} vs ${p?.requests}`,
    })
    const curl = async (): Promise<string[]> => ['curl', '--parallel', '--parallel-max', '16', '-K', await curlConfig()]
    const rows = []
    rows.push(await compare({
      id: 'fleet-idle-plan', title: `\`lading fleet plan\` of ${images} images, nothing to do, vs one \`curl\` reading each image's manifest`,
      runs: opts.runs, warmup: opts.warmup,
      lading: counted('lading fleet plan', () => [LADING, 'fleet', 'plan', file, '--json'], plan({ upToDate: images, rebase: 0, build: 0 })),
      peer: counted('curl, same reads', curl),
      check: reads,
      target: (r) => ({ text: 'idle plan < 5 s', met: r.lading.wallMs.median < 5000 }),
    }))

    // The change: run:hot gets a new digest (same distro, one more layer), the git source a new commit.
    let change = 0
    const patch = async (): Promise<void> => {
      const dir = join(work, `patch-${change}`)
      await mkdir(dir)
      await writeFile(join(dir, 'fix'), `patched ${change}\n`)
      await timeCmd({ argv: [LADING, 'append', `${cr.direct}/run:hot`, `${cr.direct}/run:hot`, '--layer', `${dir}:/etc/patch`, '--quiet'], env })
      await rm(dir, { recursive: true, force: true })
      await writeFile(join(src, 'index.html'), `<p>v${change + 2}</p>\n`)
      git(src, 'commit', '-qam', `change ${change}`)
      change++
    }
    await patch()
    const changedPlan = { upToDate: images - nRebase - nChanged, rebase: nRebase, build: nChanged }
    rows.push(await compare({
      id: 'fleet-plan', title: `\`lading fleet plan\` of ${images} images, ${nRebase} to rebase and ${nChanged} to build, vs one \`curl\` reading each image's manifest`,
      runs: opts.runs, warmup: opts.warmup,
      lading: counted('lading fleet plan', () => [LADING, 'fleet', 'plan', file, '--json'], plan(changedPlan)),
      peer: counted('curl, same reads', curl),
      check: reads,
    }))

    // Every apply starts from a new change (the warm-up's is the one above), so each does the same work.
    let first = true
    rows.push(await compare({
      id: 'fleet-apply', title: `\`lading fleet apply\` of ${images} images: ${nRebase} rebased, ${nChanged} built (max ${maxBuilds} builds at a time); no same-run peer`,
      runs: opts.runs, warmup: opts.warmup,
      peerNote: `kpack (not installable here; published: ${KPACK.images} images rebased in ${KPACK.secondsMin}–${KPACK.secondsMax} s, kpack PR 176)`,
      lading: counted('lading fleet apply', () => [LADING, 'fleet', 'apply', file, '--max-builds', String(maxBuilds), '--json'], (s) => {
        const { rebased, built, failed } = out(s).summary
        if (rebased !== nRebase || built !== nChanged || failed) throw new Error(`fleet apply: ${rebased} rebased, ${built} built, ${failed} failed; expected ${nRebase} and ${nChanged}`)
      }, async () => {
        if (!first) await patch()
        first = false
      }),
      check: (l, _p, all) => ({ ok: all.lading.length > 0, note: `every run: ${nRebase} rebased, ${nChanged} built; requests ${l?.requests}, blob bytes uploaded ${l?.blobBytesUp}` }),
    }))
    const apply = rows.at(-1)!
    const after = out(await timeCmd({ argv: [LADING, 'fleet', 'plan', file, '--json'], env }))
    if (count(after, 'up-to-date') !== images) throw new Error(`after apply, plan says ${JSON.stringify(after.summary)}`)
    return {
      benchmark: 'fleet',
      command: `npx tsx benchmarks/fleet.ts --runs ${opts.runs} --images ${images} --rebase ${nRebase} --changed ${nChanged} --max-builds ${maxBuilds}`,
      images, rebase: nRebase, changed: nChanged, maxBuilds, rows,
      kpack: { ...KPACK, perImageSeconds: [+(KPACK.secondsMin / KPACK.images).toFixed(2), +(KPACK.secondsMax / KPACK.images).toFixed(2)] },
      // Per changed image, since the workloads differ (kpack: 50 rebases; here: rebases and builds among 1,000).
      ladingSecondsPerChangedImage: +(apply.lading.wallMs.median / 1000 / (nRebase + nChanged)).toFixed(3),
    }
  } finally {
    await client.close()
    await cr.stop()
    await rm(work, { recursive: true, force: true })
  }
}

runAsScript(import.meta.url, () => run({ ...cliOptions(256), images: numberFlag('--images', 1000), rebase: numberFlag('--rebase', 100),
  changed: numberFlag('--changed', 10), maxBuilds: numberFlag('--max-builds', 2) }))
