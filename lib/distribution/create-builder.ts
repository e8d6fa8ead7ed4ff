/** `builder create`: a builder image from builder.toml, laid out as pack lays one out (cnb-spec.md
 * §8.2): on the build image, a layer of the CNB directories (/workspace and /layers owned by the
 * build user), the lifecycle when given, one layer per buildpack (reused as-is from
 * buildpackages, so unchanged buildpacks keep their digests), then /cnb/order.toml,
 * /cnb/stack.toml, /cnb/run.toml and /cnb/build-config/env; WorkingDir /layers.
 */
import { appendLayers, withConfig, type Image, type Layer } from '../image/index.js'
import { layerFromEntries, type TarEntry } from '../layer/index.js'
import { stringifyOrder, stringifyRun } from '../platform/index.js'
import { stringifyToml } from '../toml/index.js'
import type { BuilderToml } from './config-files.js'
import { collectLayers, CREATED, sortLayers } from './create-package.js'
import { DistributionError } from './errors.js'
import { LABELS, type BuilderMetadata, type ModuleInfo } from './labels.js'
import type { LifecycleParts } from './lifecycle.js'
import { pickVersion, resolveOrder } from './read-image.js'
import { readModuleSource, type ModuleSet, type SourceContext } from './sources.js'

/** Who made the builder, for `createdBy`. */
export const CREATED_BY = { name: 'lading', version: '0.1.0' }

/** What builder metadata says when there is no lifecycle, and builder inspect repeats. */
export const NO_LIFECYCLE_NOTE = 'this builder has no lifecycle binaries, so pack cannot build with it (lading can); add [lifecycle] uri = "<lifecycle .tgz or image>" (or version = "X.Y.Z") to builder.toml to include them'

/** Inputs of createBuilder besides builder.toml. */
export interface CreateBuilderInput {
  config: BuilderToml
  buildImage: Image
  lifecycle?: LifecycleParts
  sources: SourceContext
  storeDir: string
}

/** Builds the builder image (nothing is pushed here). */
export async function createBuilder(o: CreateBuilderInput): Promise<{ image: Image; metadata: BuilderMetadata }> {
  const cfg = o.config
  const base = await o.buildImage.config()
  const env = new Map((base.config?.Env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)] as const))
  const ids = ['CNB_USER_ID', 'CNB_GROUP_ID'].map((k) => {
    const v = env.get(k)
    if (v === undefined || !/^\d+$/.test(v)) throw new DistributionError('BUILD_IMAGE', cfg.buildImage, `the build image must set ${k} (a number) in its Env, as a CNB build image does`)
    return Number(v)
  })
  const [uid, gid] = ids as [number, number]
  const sets: ModuleSet[] = []
  for (const [i, b] of cfg.buildpacks.entries()) sets.push(await readModuleSource(b.uri, o.sources, `${cfg.file} buildpacks[${i}]`))
  const { layers, list } = collectLayers(sets)
  const order = cfg.order.length ? cfg.order : sets.map((s) => ({ group: [{ id: s.top.id, version: s.top.version }] }))
  resolveOrder(layers, order, cfg.file)
  const resolved = order.map((g) => ({ group: g.group.map((e) => ({ ...e, version: pickVersion(layers, e.id, e.version)! })) }))
  const infos = new Map<string, ModuleInfo>()
  for (const s of sets) for (const i of s.infos) infos.set(`${i.id}@${i.version}`, i)
  const metadata: BuilderMetadata = {
    description: cfg.description,
    buildpacks: [...infos.values()].sort((a, b) => a.id === b.id ? (a.version < b.version ? -1 : 1) : a.id < b.id ? -1 : 1),
    stack: { runImage: { image: cfg.runImages[0]!.image, mirrors: cfg.runImages[0]!.mirrors ?? [] } },
    images: cfg.runImages.map((r) => ({ image: r.image, mirrors: r.mirrors ?? [] })),
    lifecycle: o.lifecycle ? o.lifecycle.metadata : ({ note: NO_LIFECYCLE_NOTE } as unknown as BuilderMetadata['lifecycle']),
    createdBy: CREATED_BY,
  }
  const store = { storeDir: o.storeDir }
  const file = (path: string, content: string): TarEntry => ({ path, type: 'file', mode: 0o644, content })
  const dirs = await layerFromEntries([
    { path: '/workspace', type: 'directory', uid, gid }, { path: '/layers', type: 'directory', uid, gid },
    ...['/cnb', '/cnb/buildpacks', '/cnb/extensions', '/platform', '/platform/env', '/cnb/build-config', '/cnb/build-config/env']
      .map((path): TarEntry => ({ path, type: 'directory' })),
  ], store)
  const tail: Layer[] = [
    await layerFromEntries([file('/cnb/order.toml', stringifyOrder(resolved))], store),
    await layerFromEntries([file('/cnb/stack.toml', stringifyToml({ 'run-image': { image: cfg.runImages[0]!.image, mirrors: cfg.runImages[0]!.mirrors ?? [] } }))], store),
    await layerFromEntries([file('/cnb/run.toml', stringifyRun({ images: cfg.runImages.map((r) => ({ image: r.image, mirrors: r.mirrors ?? [] })) }))], store),
  ]
  if (cfg.buildEnv.length) {
    tail.push(await layerFromEntries(cfg.buildEnv.flatMap((e) => [
      file(`/cnb/build-config/env/${e.name}${e.suffix ? `.${e.suffix}` : ''}`, e.value),
      ...(e.delim ? [file(`/cnb/build-config/env/${e.name}.delim`, e.delim)] : []),
    ]), store))
  }
  const labels: Record<string, string> = {
    [LABELS.builderMetadata]: JSON.stringify(metadata),
    [LABELS.buildpackLayers]: JSON.stringify(sortLayers(layers)),
    [LABELS.buildpackOrder]: JSON.stringify(cfg.order.length ? cfg.order : order),
    [LABELS.orderExtensions]: 'null',
    [LABELS.mixins]: '[]',
  }
  const added = [dirs, ...(o.lifecycle ? o.lifecycle.layers : []), ...list, ...tail]
  const image = withConfig(appendLayers(o.buildImage, ...added.map((layer) => ({ layer, history: { created: CREATED, created_by: 'lading builder create' } }))), (c) => {
    c.created = CREATED
    c.config = { ...c.config, WorkingDir: '/layers', Labels: { ...c.config?.Labels, ...labels } }
    return c
  })
  return { image, metadata }
}
