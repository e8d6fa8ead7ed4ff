// Shared by the fleet-rebase tests: a counted loopback registry, a run image and N app images built on it (as a build would leave them) pushed to a registry.
import type { Test } from 'tap'
import { startFaultProxy, startRegistry, type FaultProxy, type RegistryFixture } from '../../registry-fixtures/index.js'
import { appendLayers, imageFromParts, layerFromBytes, withConfig, type Image } from '../../lib/image/index.js'
import type { Repository } from '../../lib/oci/index.js'
import { emptyLayersMetadata, encodeLifecycleMetadata, LABELS } from '../../lib/platform/index.js'
import { pushImage } from '../../lib/remote/index.js'

/** A two-layer run image; `v` makes its layers, `labels` adds to its stack label. */
export function fleetRunImage(v: string, labels: Record<string, string> = {}): Image {
  return imageFromParts({ config: { Labels: { 'io.buildpacks.stack.id': 'st', ...labels } }, layers: [layerFromBytes(Buffer.from(`${v} a`)), layerFromBytes(Buffer.from(`${v} b`))] })
}

/**
 * Pushes `run` as `run:current` and N apps `app0`…`app{N-1}` (tag 1) on it, each with one app
 * layer of `appLayer` and lifecycle metadata naming the run image; returns their repository names.
 */
export async function seedFleet(repo: (name: string) => Repository, host: string, run: Image, n: number, appLayer: string): Promise<string[]> {
  await pushImage(repo('run'), run, ['current'])
  const md = emptyLayersMetadata()
  md.runImage = { topLayer: (await run.config()).rootfs.diff_ids[1]!, reference: `${host}/run@${await run.digest()}`, image: `${host}/run:current`, mirrors: [] }
  for (let i = 0; i < n; i++) {
    const app = withConfig(appendLayers(run, { layer: layerFromBytes(Buffer.from(appLayer)) }), (c) => ({
      ...c, config: { Env: ['CNB_PLATFORM_API=0.13'], Labels: { ...c.config?.Labels, [LABELS.LIFECYCLE_METADATA]: encodeLifecycleMetadata(md), n: String(i) } },
    }))
    await pushImage(repo(`app${i}`), app, ['1'], { mountFrom: [`${host}/run`] })
  }
  return Array.from({ length: n }, (_, i) => `app${i}`)
}

/** A plain-HTTP loopback registry behind a request-counting proxy, both stopped when `t` ends. */
export async function countedRegistry(t: Test): Promise<{ reg: RegistryFixture; proxy: FaultProxy; host: string }> {
  const reg = await startRegistry({ variant: 'http' })
  t.teardown(() => reg.stop())
  const proxy = await startFaultProxy(reg.url)
  t.teardown(() => proxy.stop())
  return { reg, proxy, host: proxy.host }
}
