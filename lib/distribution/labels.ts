/** The `io.buildpacks.*` labels of builders and buildpackages (cnb-spec.md §8), in pack's JSON
 * shapes: parse them from an image config (checked, naming the image and label) and write them.
 */
import { DistributionError } from './errors.js'
import { definedOnly } from '../defined.js'

export const LABELS = {
  builderMetadata: 'io.buildpacks.builder.metadata',
  buildpackLayers: 'io.buildpacks.buildpack.layers',
  buildpackOrder: 'io.buildpacks.buildpack.order',
  buildpackageMetadata: 'io.buildpacks.buildpackage.metadata',
  orderExtensions: 'io.buildpacks.buildpack.order-extensions',
  extensionLayers: 'io.buildpacks.extension.layers',
  mixins: 'io.buildpacks.stack.mixins',
  lifecycleVersion: 'io.buildpacks.lifecycle.version',
  lifecycleApis: 'io.buildpacks.lifecycle.apis',
} as const

/** `{id, version}` as pack's ModuleInfo (plus the optional fields it carries in lists). */
export interface ModuleInfo { id: string; version: string; homepage?: string; name?: string; description?: string }

/** One order group element as in the order label: `{id, version, optional}`. */
export interface OrderEntry { id: string; version?: string; optional?: boolean }
export interface OrderGroupJson { group: OrderEntry[] }

/** A target as pack writes it in the layers label. */
export interface TargetJson { os?: string; arch?: string; variant?: string; distros?: { name: string; version?: string }[] }

/** One `io.buildpacks.buildpack.layers` entry (per id, per version). */
export interface ModuleLayerInfo {
  api: string
  stacks?: { id: string; mixins?: string[] }[]
  targets?: TargetJson[]
  order?: OrderGroupJson[]
  layerDiffID: string
  homepage?: string
  name?: string
}

/** id → version → layer info. */
export type ModuleLayers = Record<string, Record<string, ModuleLayerInfo>>

/** `io.buildpacks.buildpackage.metadata`. */
export interface BuildpackageMetadata { id: string; version: string; homepage?: string; stacks?: { id: string }[] | null; name?: string }

export interface RunImageJson { image: string; mirrors?: string[] }
export interface ApiSet { deprecated: string[]; supported: string[] }
/** `io.buildpacks.builder.metadata` as pack writes it (plus `lifecycle.missing` when there is none). */
export interface BuilderMetadata {
  description: string
  buildpacks: ModuleInfo[]
  extensions?: ModuleInfo[]
  stack: { runImage: RunImageJson }
  images?: RunImageJson[]
  lifecycle: { version: string; api?: { buildpack: string; platform: string }; apis?: { buildpack: ApiSet; platform: ApiSet } }
  createdBy: { name: string; version: string }
}

function parseJson<T>(labels: Record<string, string> | null | undefined, name: string, what: string, check: (v: unknown) => boolean): T | undefined {
  const raw = labels?.[name]
  if (raw === undefined || raw === '') return undefined
  let v: unknown
  try {
    v = JSON.parse(raw)
  } catch (err) {
    throw new DistributionError('LABEL_INVALID', what, `label ${name} is not JSON (${(err as Error).message})`, { cause: err })
  }
  if (!check(v)) throw new DistributionError('LABEL_INVALID', what, `label ${name} does not have the expected shape`)
  return v as T
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

function validLayers(v: unknown): boolean {
  if (!isObj(v)) return false
  for (const versions of Object.values(v)) {
    if (!isObj(versions)) return false
    for (const info of Object.values(versions)) {
      if (!isObj(info) || typeof info.layerDiffID !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(info.layerDiffID)) return false
      if (info.order !== undefined && info.order !== null && !validOrder(info.order)) return false
    }
  }
  return true
}

function validOrder(v: unknown): boolean {
  return Array.isArray(v) && v.every((g) => isObj(g) && Array.isArray(g.group) && g.group.every((e) => isObj(e) && typeof e.id === 'string'))
}

/** `io.buildpacks.buildpack.layers`, or undefined when absent. */
export function readModuleLayers(labels: Record<string, string> | null | undefined, what: string, name: string = LABELS.buildpackLayers): ModuleLayers | undefined {
  return parseJson<ModuleLayers>(labels, name, what, validLayers)
}

/** `io.buildpacks.buildpack.order`, or undefined when absent. */
export function readOrderLabel(labels: Record<string, string> | null | undefined, what: string): OrderGroupJson[] | undefined {
  return parseJson<OrderGroupJson[] | null>(labels, LABELS.buildpackOrder, what, (v) => v === null || validOrder(v)) ?? undefined
}

/** `io.buildpacks.builder.metadata`, or undefined when absent. */
export function readBuilderMetadata(labels: Record<string, string> | null | undefined, what: string): BuilderMetadata | undefined {
  const md = parseJson<Partial<BuilderMetadata>>(labels, LABELS.builderMetadata, what, isObj)
  if (!md) return undefined
  return definedOnly({
    description: md.description ?? '',
    buildpacks: Array.isArray(md.buildpacks) ? md.buildpacks : [],
    extensions: Array.isArray(md.extensions) ? md.extensions : undefined,
    stack: { runImage: { image: md.stack?.runImage?.image ?? '', mirrors: md.stack?.runImage?.mirrors ?? [] } },
    images: Array.isArray(md.images) ? md.images.map((i) => ({ image: i.image, mirrors: i.mirrors ?? [] })) : undefined,
    lifecycle: definedOnly({ version: md.lifecycle?.version ?? '', api: md.lifecycle?.api || undefined, apis: md.lifecycle?.apis || undefined }),
    createdBy: { name: md.createdBy?.name ?? '', version: md.createdBy?.version ?? '' },
  })
}

/** `io.buildpacks.buildpackage.metadata`, or undefined when absent. */
export function readBuildpackageMetadata(labels: Record<string, string> | null | undefined, what: string): BuildpackageMetadata | undefined {
  return parseJson<BuildpackageMetadata>(labels, LABELS.buildpackageMetadata, what, (v) => isObj(v) && typeof v.id === 'string')
}

/** Adds every entry of `from` to `into` (a later entry of the same id@version wins, as in pack). */
export function mergeModuleLayers(into: ModuleLayers, from: ModuleLayers): ModuleLayers {
  for (const [id, versions] of Object.entries(from)) into[id] = { ...into[id], ...versions }
  return into
}
