/** Shared set-up for tests against a real registry: work dir, registry, fault proxy, pushed base images, one teardown. */
import { join } from 'node:path'
import {
  startRegistry, startFaultProxy, makeBaseImages, pushBaseImages,
  type RegistryFixture, type RegistryVariant, type FaultProxy, type BaseImages, type PushBaseImagesOptions,
} from '../../registry-fixtures/index.js'
import { createRegistryClient, type RegistryClient, type RegistryClientOptions } from '../../lib/registry/index.js'
import { workDir } from './work-dir.js'

type T = { teardown(fn: () => unknown): void }

export interface RegistryEnvOptions {
  /** Names the work dir (`lading-<name>-…`), so a leftover dir says which test left it. */
  name: string
  /** Registry variant (default `http`). */
  variant?: RegistryVariant
  /** Build the base images under `<work>/base` and push them as run:v1, run:v2, build:latest (default true). */
  base?: boolean
  /**
   * Point HOME at `<work>/home` first: lading keeps unpacked buildpacks and rootfs trees under
   * ~/.cache/lading, and a test that reads them wants a fresh one.
   */
  home?: boolean
}

/** What {@link registryEnv} started. The proxy forwards to `reg` and sees every request made through `proxy.host`. */
export interface RegistryEnv {
  work: string
  reg: RegistryFixture
  proxy: FaultProxy
  base: BaseImages
}

/** skopeo options that let the base images be pushed to any variant of the fixture registry. */
export function pushOptions(reg: RegistryFixture): PushBaseImagesOptions {
  return {
    ...(reg.username ? { creds: `${reg.username}:${reg.password ?? ''}` } : {}),
    ...(reg.certDir ? { certDir: reg.certDir, tlsVerify: true } : {}),
  }
}

/**
 * Makes a work dir, starts a registry with a fault proxy in front of it and (unless `base: false`)
 * pushes the base images. Everything is stopped and removed when `t` ends; the teardown is
 * registered before anything starts, so a set-up that fails half-way leaves nothing behind.
 * Call it from `t.before` and assign the fields to the test file's own names.
 */
export async function registryEnv(t: T, opts: RegistryEnvOptions & { base: false }): Promise<Omit<RegistryEnv, 'base'>>
export async function registryEnv(t: T, opts: RegistryEnvOptions): Promise<RegistryEnv>
export async function registryEnv(t: T, opts: RegistryEnvOptions): Promise<Partial<RegistryEnv>> {
  const env: Partial<RegistryEnv> = { work: await workDir(t, opts.name) }
  // Teardowns run last-registered first: the proxy and registry stop before the work dir goes.
  t.teardown(async () => {
    await env.proxy?.stop()
    await env.reg?.stop()
  })
  if (opts.home) process.env.HOME = join(env.work!, 'home')
  env.reg = await startRegistry({ variant: opts.variant ?? 'http' })
  env.proxy = await startFaultProxy(env.reg.url)
  if (opts.base !== false) {
    env.base = await makeBaseImages(join(env.work!, 'base'))
    await pushBaseImages(env.base.layout, env.reg.host, pushOptions(env.reg))
  }
  return env
}

/** {@link registryEnv} without base images, plus a client made with `opts` and closed when `t` ends. */
export async function registryClientEnv(t: T, name: string, opts: RegistryClientOptions = {}): Promise<Omit<RegistryEnv, 'base'> & { client: RegistryClient }> {
  const env = await registryEnv(t, { name, base: false })
  const client = createRegistryClient(opts)
  t.teardown(() => client.close())
  return { ...env, client }
}
