/** Shared setup for the registry integration tests: real registry, fault proxy, client, teardown. */
import { randomBytes } from 'node:crypto'
import type { Readable } from 'node:stream'
import { startFaultProxy, startRegistry, type FaultProxy, type FaultRule, type RegistryFixture, type StartRegistryOptions } from '../../registry-fixtures/index.js'
import { sha256, type Digest } from '../../lib/digest/index.js'
import { createRegistryClient, staticKeychain, type RegistryClient, type RegistryClientOptions } from '../../lib/registry/index.js'

type T = { teardown(fn: () => unknown): void }

/** Starts a registry that is stopped when `t` ends. */
export async function registry(t: T, opts: StartRegistryOptions = {}): Promise<RegistryFixture> {
  const reg = await startRegistry(opts)
  t.teardown(() => reg.stop())
  return reg
}

/** Starts a fault proxy in front of `targetUrl`, stopped when `t` ends. */
export async function proxy(t: T, targetUrl: string, rules: FaultRule[] = [], opts: Parameters<typeof startFaultProxy>[2] = {}): Promise<FaultProxy> {
  const p = await startFaultProxy(targetUrl, rules, opts)
  t.teardown(() => p.stop())
  return p
}

/** A client with the fixture's credentials (keyed by `host`, default the registry's), fast retries, closed at teardown. */
export function client(t: T, reg: RegistryFixture | undefined, opts: RegistryClientOptions & { host?: string; lines?: string[] } = {}): RegistryClient {
  const host = opts.host ?? reg?.host ?? ''
  const keychain = opts.keychain ?? staticKeychain(reg?.username ? { [host]: { username: reg.username, password: reg.password ?? '' } } : {})
  const c = createRegistryClient({
    keychain,
    retry: { baseDelayMs: 5, maxDelayMs: 20, ...opts.retry },
    ...(reg?.caFile ? { caCertFiles: [reg.caFile] } : {}),
    log: (l) => opts.lines?.push(l),
    ...opts,
  })
  t.teardown(() => c.close())
  return c
}

/** A fault proxy in front of `reg` with `rules`, a client that goes through it, and `repository` on that client. */
export async function proxied(t: T, reg: RegistryFixture, repository: string, rules: FaultRule[] = [],
  opts: Parameters<typeof client>[2] = {}): Promise<{ p: FaultProxy; c: RegistryClient; repo: ReturnType<RegistryClient['repository']> }> {
  const p = await proxy(t, reg.url, rules)
  const c = client(t, reg, { host: p.host, ...opts })
  return { p, c, repo: c.repository({ registry: p.host, repository }) }
}

/** Random bytes with their digest. */
export function blob(size: number): { bytes: Buffer; digest: Digest; size: number } {
  const bytes = randomBytes(size)
  return { bytes, digest: sha256(bytes), size }
}

/** Reads a stream fully. */
export async function readAll(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of s) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

/** Path of a blob's data file in the registry's filesystem storage. */
export function blobDataPath(reg: RegistryFixture, digest: Digest): string {
  const hex = digest.slice('sha256:'.length)
  return `${reg.rootDir}/docker/registry/v2/blobs/sha256/${hex.slice(0, 2)}/${hex}/data`
}

/** Bytes of a minimal OCI image manifest referring to `config` and `layers`. */
export function manifestBytes(config: { digest: Digest; size: number }, layers: Array<{ digest: Digest; size: number }>, annotations?: Record<string, string>): Buffer {
  return Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...l })),
    ...(annotations ? { annotations } : {}),
  }))
}
