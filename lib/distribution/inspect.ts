/** What `builder inspect` and `buildpack inspect` show, in pack's structured schema (internal/builder/writer, pack's DetectionOrder). */
import type { DistributionImage } from './read-image.js'
import { builderOrder, pickVersion } from './read-image.js'
import type { ModuleInfo, ModuleLayers, OrderEntry, OrderGroupJson } from './labels.js'
import { NO_LIFECYCLE_NOTE } from './create-builder.js'
import { definedOnly } from '../defined.js'

/** One detection order entry: a group (no id, `buildpacks` = its members) or a buildpack (a composite has `buildpacks` = its groups). */
export interface DetectionOrderEntry {
  id?: string
  version?: string
  optional?: boolean
  cyclic?: boolean
  buildpacks?: DetectionOrderEntry[]
}

/** pack's BuilderInfo (the `remote_info` of `pack builder inspect --output json`). */
export interface BuilderInfoJson {
  description?: string
  created_by: { name: string; version: string }
  stack?: { id: string }
  lifecycle: { version: string | null; buildpack_apis: { deprecated: string[]; supported: string[] }; platform_apis: { deprecated: string[]; supported: string[] } }
  run_images: { name: string }[]
  buildpacks: ModuleInfo[]
  detection_order: DetectionOrderEntry[]
}

/** pack's InspectOutput for a builder read from a registry (no daemon: `local_info` is null). */
export interface BuilderInspectJson {
  builder_name: string
  trusted: boolean
  default: boolean
  remote_info: BuilderInfoJson
  local_info: null
}

/** A buildpackage, in the same spirit (pack has no structured output for it; these are its sections). */
export interface BuildpackInspectJson {
  buildpack_name: string
  location: string
  stacks: { id: string; mixins?: string[] }[]
  buildpacks: ModuleInfo[]
  detection_order: DetectionOrderEntry[]
}

/**
 * pack's detection order (internal/builder/detection_order_calculator.go): one entry per group,
 * carrying the composite it came from (none at the top); a composite in a group is replaced by its
 * own groups' entries; a buildpack seen before on the way down is marked cyclic and not followed.
 */
export function detectionOrder(layers: ModuleLayers, order: readonly OrderGroupJson[], parent: OrderEntry | undefined = undefined, visited: ReadonlySet<string> = new Set()): DetectionOrderEntry[] {
  return order.map((g) => {
    const seen = new Set(visited)
    const members: DetectionOrderEntry[] = []
    for (const e of g.group) {
      const name = e.version ? `${e.id}@${e.version}` : e.id
      const wasSeen = seen.has(name)
      seen.add(name)
      const version = pickVersion(layers, e.id, e.version)
      const sub = version ? layers[e.id]?.[version]?.order : undefined
      if (sub?.length && !wasSeen) members.push(...detectionOrder(layers, sub, e, seen))
      else members.push(definedOnly({ ...ref(e), cyclic: wasSeen || undefined }))
    }
    return { ...(parent ? ref(parent) : {}), buildpacks: members }
  })
}

function ref(e: OrderEntry): DetectionOrderEntry {
  return definedOnly({ id: e.id, version: e.version || undefined, optional: e.optional || undefined })
}

function modulesOf(layers: ModuleLayers): ModuleInfo[] {
  return Object.keys(layers).sort().flatMap((id) => Object.keys(layers[id]!).sort().map((version) => {
    const i = layers[id]![version]!
    return definedOnly({ id, name: i.name || undefined, version, homepage: i.homepage || undefined })
  }))
}

/** A builder in pack's schema; `isDefault` says whether it is the default builder. */
export async function inspectBuilder(d: DistributionImage, isDefault: boolean): Promise<BuilderInspectJson & { lifecycle_note?: string }> {
  const md = d.builder
  const order = await builderOrder(d).catch(() => [])
  const runs = (md?.images?.length ? md.images : md?.stack.runImage.image ? [md.stack.runImage] : [])
  const lc = md?.lifecycle
  const stackId = (d.config.config?.Env ?? []).find((e) => e.startsWith('CNB_STACK_ID='))?.slice('CNB_STACK_ID='.length) ?? d.labels['io.buildpacks.stack.id']
  const missing = !lc?.version
  return definedOnly({
    builder_name: d.what, trusted: false, default: isDefault,
    remote_info: definedOnly({
      description: md?.description || undefined,
      created_by: md?.createdBy ?? { name: '', version: '' },
      stack: stackId ? { id: stackId } : undefined,
      lifecycle: {
        version: lc?.version || null,
        buildpack_apis: lc?.apis?.buildpack ?? { deprecated: [], supported: [] },
        platform_apis: lc?.apis?.platform ?? { deprecated: [], supported: [] },
      },
      run_images: runs.flatMap((r) => [r.image, ...(r.mirrors ?? [])]).filter(Boolean).map((name) => ({ name })),
      buildpacks: md?.buildpacks.length ? md.buildpacks : modulesOf(d.layers),
      detection_order: detectionOrder(d.layers, order),
    }),
    local_info: null,
    lifecycle_note: missing ? NO_LIFECYCLE_NOTE : undefined,
  })
}

/** A buildpackage: its entrypoint's detection order and every buildpack it holds. */
export function inspectBuildpackage(d: DistributionImage): BuildpackInspectJson {
  const top = d.package
  const version = top ? pickVersion(d.layers, top.id, top.version) : undefined
  const info = top && version ? d.layers[top.id]?.[version] : undefined
  return {
    buildpack_name: top ? `${top.id}@${top.version}` : d.what,
    location: d.what,
    stacks: (info?.stacks ?? []).map((s) => definedOnly({ id: s.id, mixins: s.mixins?.length ? s.mixins : undefined })),
    buildpacks: modulesOf(d.layers),
    detection_order: top ? detectionOrder(d.layers, [{ group: [definedOnly({ id: top.id, version: top.version || undefined })] }]
) : [],
  }
}
