/**
 * A loopback registry with a pass-through counting proxy in front, so a benchmark can say how
 * many requests and bytes each side's run cost, and check both sides did the same work.
 * Runs that should not pay for the proxy use `direct` (the registry itself).
 */
import { startFaultProxy, startRegistry, type FaultProxy, type RegistryFixture } from '../../registry-fixtures/index.js'
import type { Work } from './harness.js'

/** A registry plus its counting proxy. */
export interface CountingRegistry {
  /** host:port of the proxy (counted). */
  host: string
  /** host:port of the registry itself (not counted). */
  direct: string
  registry: RegistryFixture
  proxy: FaultProxy
  /** Starts counting; call the result to read what happened since. */
  mark(): () => Work
  stop(): Promise<void>
}

/** How benchmark registries are set up, stored with each result (those stored before 2026-12-07 18:40 UTC have no such field: they ran without the cache). */
export const BENCH_REGISTRY = 'Debian docker-registry (distribution 2.8.2) on loopback, blob-descriptor cache on, storage in the temp dir'

/**
 * Starts a fresh `http` registry and a counting proxy in front of it. The registry runs with the
 * blob-descriptor cache on, as in the config Debian's docker-registry ships (and the upstream
 * image): peers and lading alike meet a registry set up the way its users get it. `parentDir`:
 * see StartRegistryOptions.
 */
export async function startCountingRegistry(opts: { blobDescriptorCache?: boolean; parentDir?: string } = {}): Promise<CountingRegistry> {
  const registry = await startRegistry({ variant: 'http', blobDescriptorCache: true, ...opts })
  const proxy = await startFaultProxy(registry.url)
  return {
    host: proxy.host, direct: registry.host, registry, proxy,
    mark() {
      const from = proxy.requests.length
      return () => countSince(proxy, from)
    },
    async stop() {
      await proxy.stop()
      await registry.stop()
    },
  }
}

/** Requests, body bytes each way, and blob bytes uploaded since request number `from`. */
export function countSince(p: FaultProxy, from: number): Work {
  const qs = p.requests.slice(from)
  return {
    requests: qs.length,
    bytesUp: qs.reduce((n, q) => n + q.bytesIn, 0),
    bytesDown: qs.reduce((n, q) => n + q.bytesOut, 0),
    blobBytesUp: qs.filter((q) => /\/blobs\/uploads\//.test(q.path) && (q.method === 'PATCH' || q.method === 'PUT')).reduce((n, q) => n + q.bytesIn, 0),
    mounts: qs.filter((q) => q.method === 'POST' && /[?&]mount=/.test(q.path)).length,
  }
}

/**
 * A harness side that talks to `cr`: its warm-up runs go through the counting proxy (that is
 * where the row's work comes from), its counted runs straight to the registry, so the proxy's
 * own cost is in no timing. `argv(host, run)` builds the command for a registry at `host`.
 */
export function registrySide(name: string, cr: CountingRegistry,
  argv: (host: string, run: { index: number; warmup: boolean }) => string[] | Promise<string[]>,
  opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): import('./harness.js').Side {
  let done: (() => Work) | undefined
  return {
    name,
    async prepare(run) {
      done = run.warmup ? cr.mark() : undefined
      return { argv: await argv(run.warmup ? cr.host : cr.direct, run), ...opts }
    },
    finish() {
      return done?.()
    },
  }
}
