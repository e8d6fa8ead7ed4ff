/**
 * Benchmark: `lading fleet plan` and `lading fleet apply` over 1,000 declared images in a loopback
 * registry (through a counting proxy): first with nothing to do, then with 100 images whose run
 * image has a new digest (rebase) and 10 whose git source has a new commit (build). Prints plan
 * time, apply time, images per second, requests and bytes next to kpack's published figure
 * (50 images rebased in 61–171 s, buildpacks-community/kpack PR 176).
 * Usage: npx tsx benchmarks/fleet.ts [--images 1000] [--rebase 100] [--changed 10] [--max-builds 2]
 */
import { execFileSync } from 'node:child_process'
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pLimit from 'p-limit'
import { startRegistry, startFaultProxy, makeBaseImages, pushBaseImages, type FaultProxy } from '../registry-fixtures/index.js'
import { parseReference } from '../lib/oci/index.js'
import { createRegistryClient } from '../lib/registry/index.js'
import { copyImage } from '../lib/remote/index.js'
import { timeChild, machine } from './lib/measure.js'
import { uploadedBytes } from './lib/data.js'
import { numberFlag, runAsScript } from './lib/main.js'

const LADING = fileURLToPath(new URL('../bin/lading', import.meta.url))
/** kpack's published rebase figure (peers.md, row 3): 50 images, 61–171 s depending on where the rebase ran. */
const KPACK = { images: 50, secondsMin: 61, secondsMax: 171, source: 'https://github.com/buildpacks-community/kpack/pull/176' }

const downloaded = (p: FaultProxy, from: number): number => p.requests.slice(from).reduce((n, q) => n + q.bytesOut, 0)
const git = (cwd: string, ...args: string[]): void => { execFileSync('git', ['-c', 'user.email=b@example.test', '-c', 'user.name=b', ...args], { cwd }) }

async function fleet(args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; out: { images: { action: string; result?: string }[]; summary: Record<string, number> } }> {
  const r = await timeChild(LADING, ['fleet', ...args, '--json'], { env })
  if (r.code !== 0) throw new Error(`lading fleet ${args.join(' ')} failed (${r.code}): ${r.stderr.slice(-2000)}${r.stdout.slice(-1000)}`)
  return { ms: r.ms, out: JSON.parse(r.stdout) }
}

const count = (items: { action: string }[], a: string): number => items.filter((i) => i.action === a).length

/** Runs the benchmark and returns its result object. */
export async function run(opts: { images?: number; rebase?: number; changed?: number; maxBuilds?: number } = {}): Promise<Record<string, unknown>> {
  const images = opts.images ?? 1000
  const nRebase = opts.rebase ?? 100
  const nChanged = opts.changed ?? 10
  const maxBuilds = opts.maxBuilds ?? 2
  const work = await mkdtemp(join(tmpdir(), 'lading-bench-fleet-'))
  const env = { ...process.env, HOME: join(work, 'home') }
  const reg = await startRegistry({ variant: 'http' })
  const proxy = await startFaultProxy(reg.url)
  const client = createRegistryClient({})
  const repo = (ref: string) => client.repository(parseReference(ref))
  try {
    const base = await makeBaseImages(join(work, 'base'))
    await pushBaseImages(base.layout, reg.host)
    const h = proxy.host
    // Two run image tags teams follow: run:stable (900 images) and run:hot (100 images, patched below).
    for (const tag of ['stable', 'hot']) await copyImage(repo(`${reg.host}/run:v1`), 'v1', repo(`${reg.host}/run:${tag}`), [tag])
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
    await fleet(['apply', seeds, '--max-builds', '3'], env)
    const tags = Array.from({ length: images }, (_, i) => `${h}/fleet/app-${i}:1`)
    const limit = pLimit(16)
    await Promise.all(tags.map((t, i) => limit(() => copyImage(repo(`${reg.host}/seed/${kind(i)}`), '1', repo(`${reg.host}/fleet/app-${i}`), ['1']))))
    const file = join(work, 'fleet.toml')
    await writeFile(file, head + tags.map((t, i) => entry(t, kind(i))).join('\n'))

    let mark = proxy.requests.length
    const idle = await fleet(['plan', file], env)
    const idlePlan = { ms: Math.round(idle.ms), upToDate: count(idle.out.images, 'up-to-date'), requests: proxy.requests.length - mark, bytesDownloaded: downloaded(proxy, mark) }
    if (idlePlan.upToDate !== images) throw new Error(`expected ${images} up to date, plan says ${JSON.stringify(idle.out.summary)}`)

    // The patch: run:hot gets a new digest (same distro, one more layer); the git source a new commit.
    await mkdir(join(work, 'patch'))
    await writeFile(join(work, 'patch', 'fix'), 'patched\n')
    const ap = await timeChild(LADING, ['append', `${reg.host}/run:hot`, `${reg.host}/run:hot`, '--layer', `${join(work, 'patch')}:/etc/patch`, '--quiet'], { env })
    if (ap.code !== 0) throw new Error(`append failed: ${ap.stderr}`)
    await writeFile(join(src, 'index.html'), '<p>v2</p>\n')
    git(src, 'commit', '-qam', 'v2')

    mark = proxy.requests.length
    const p = await fleet(['plan', file], env)
    const plan = { ms: Math.round(p.ms), build: count(p.out.images, 'build'), rebase: count(p.out.images, 'rebase'), upToDate: count(p.out.images, 'up-to-date'), requests: proxy.requests.length - mark }
    mark = proxy.requests.length
    const a = await fleet(['apply', file, '--max-builds', String(maxBuilds)], env)
    const s = a.out.summary
    const apply = {
      ms: Math.round(a.ms), planMs: s['planMs'], built: s['built'], rebased: s['rebased'], unchanged: s['unchanged'], failed: s['failed'],
      imagesPerSec: +(images / (a.ms / 1000)).toFixed(1), changedPerSec: +((nRebase + nChanged) / (a.ms / 1000)).toFixed(1),
      requests: proxy.requests.length - mark, bytesUploaded: uploadedBytes(proxy, mark), bytesDownloaded: downloaded(proxy, mark),
    }
    const after = await fleet(['plan', file], env)
    const settled = count(after.out.images, 'up-to-date') === images
    return {
      benchmark: 'fleet',
      command: `npx tsx benchmarks/fleet.ts --images ${images} --rebase ${nRebase} --changed ${nChanged} --max-builds ${maxBuilds}`,
      images, rebase: nRebase, changed: nChanged, maxBuilds,
      lading: { ms: apply.ms, idlePlan, plan, apply, applyAgainNothingToDo: settled },
      peer: { name: `kpack (published): ${KPACK.images} images rebased in ${KPACK.secondsMin}–${KPACK.secondsMax} s`, ms: KPACK.secondsMin * 1000, images: KPACK.images, source: KPACK.source, perImageSeconds: [+(KPACK.secondsMin / KPACK.images).toFixed(2), +(KPACK.secondsMax / KPACK.images).toFixed(2)] },
      // Per image rebased, since the workloads differ (kpack: 50 rebases; here: 100 rebases + 10 builds among 1,000).
      ratio: +((KPACK.secondsMin / KPACK.images) / (apply.ms / 1000 / (nRebase + nChanged))).toFixed(1),
      ratioMeaning: 'kpack best published seconds per rebased image / lading seconds per changed image in this apply (rebases and builds together); not the same machine or registry: a published figure, not a same-run peer',
      goals: { idlePlanUnder5s: idlePlan.ms < 5000 },
      machine: machine(),
    }
  } finally {
    await client.close()
    await proxy.stop()
    await reg.stop()
    await rm(work, { recursive: true, force: true })
  }
}


runAsScript(import.meta.url, () => run({ images: numberFlag('--images', 1000), rebase: numberFlag('--rebase', 100), changed: numberFlag('--changed', 10), maxBuilds: numberFlag('--max-builds', 2) }))
