/** `builder inspect` / `buildpack inspect`: pack's sections for people, pack's schema for --output json|yaml|toml. */
import { stat } from 'node:fs/promises'
import { stringify as toYaml } from 'yaml'
import type { CommandContext } from '../context.js'
import { UsageError } from '../args.js'
import { openImage, sourceContext } from '../distribution-io.js'
import { readSettings } from '../settings.js'
import { stringifyToml, type Table } from '../../toml/index.js'
import {
  inspectBuilder, inspectBuildpackage, readDistributionImage, type BuilderInfoJson, type DetectionOrderEntry, type ModuleInfo,
} from '../../distribution/index.js'

export type InspectFormat = 'human' | 'json' | 'yaml' | 'toml'

/** Shows a builder or a buildpackage (REF: registry reference, oci:DIR[:TAG], or for buildpacks a .cnb file). */
export async function inspectModules(ctx: CommandContext, ref: string, kind: 'builder' | 'buildpack', format: InspectFormat): Promise<number> {
  if (!['human', 'json', 'yaml', 'toml'].includes(format)) throw new UsageError(`--output must be human, json, yaml or toml, got ${JSON.stringify(format)}`, kind)
  const isFile = kind === 'buildpack' && /\.cnb$/.test(ref) && Boolean(await stat(ref).catch(() => undefined))
  const image = isFile ? await (await sourceContext(ctx)).openCnb(ref) : await openImage(ctx, ref)
  const d = await readDistributionImage(image, ref, kind === 'builder' ? 'builder' : 'buildpackage')
  let data: object
  let human: string
  if (kind === 'builder') {
    const { lifecycle_note: note, ...json } = await inspectBuilder(d, (await readSettings())['default-builder'] === ref)
    data = json
    human = `Inspecting builder: '${ref}'\n\nREMOTE:\n${builderText(json.remote_info, json.trusted)}${note ? `\nWarning: ${note}\n` : ''}\nLOCAL:\n(not present)\n`
    if (note && format !== 'human') ctx.out.warn(note)
  } else {
    const json = inspectBuildpackage(d)
    data = json
    human = `Inspecting buildpack: '${json.buildpack_name}'\n\n${json.location}:\n\nStacks:\n${json.stacks.length ? json.stacks.map((s) => `  ID: ${s.id}\n    Mixins:\n      ${s.mixins?.join('\n      ') ?? '(omitted)'}`).join('\n') : '  (none)'}\n\n${buildpacksTable(json.buildpacks)}\n${orderTree(json.detection_order)}`
  }
  if (format === 'json') ctx.out.data(`${JSON.stringify(data, null, 2)}\n`)
  else if (format === 'yaml') ctx.out.data(toYaml(data))
  else if (format === 'toml') ctx.out.data(stringifyToml(dropNulls(data) as Table))
  else ctx.out.data(human)
  return 0
}

function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls)
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null && x !== undefined).map(([k, x]) => [k, dropNulls(x)]))
  return v
}

const NONE = '(none)'
const apis = (xs: string[]): string => xs.length ? xs.join(', ') : NONE

function builderText(i: BuilderInfoJson, trusted: boolean): string {
  const out: string[] = ['']
  if (i.description) out.push(`Description: ${i.description}`, '')
  if (i.created_by.name) out.push('Created By:', `  Name: ${i.created_by.name}`, `  Version: ${i.created_by.version}`, '')
  out.push(`Trusted: ${trusted ? 'Yes' : 'No'}`, '')
  if (i.stack) out.push('Stack:', `  ID: ${i.stack.id}`)
  out.push('', 'Lifecycle:', `  Version: ${i.lifecycle.version ?? NONE}`, '  Buildpack APIs:', `    Deprecated: ${apis(i.lifecycle.buildpack_apis.deprecated)}`,
    `    Supported: ${apis(i.lifecycle.buildpack_apis.supported)}`, '  Platform APIs:', `    Deprecated: ${apis(i.lifecycle.platform_apis.deprecated)}`,
    `    Supported: ${apis(i.lifecycle.platform_apis.supported)}`, '')
  out.push('Run Images:', ...(i.run_images.length ? i.run_images.map((r) => `  ${r.name}`) : [`  ${NONE}`]), '')
  return `${out.join('\n')}\n${buildpacksTable(i.buildpacks)}\n${orderTree(i.detection_order)}`
}

/** Columns padded like Go's tabwriter (cell width + padding), trailing spaces stripped. */
function table(rows: string[][], padding: number): string {
  const widths: number[] = []
  for (const r of rows) r.slice(0, -1).forEach((c, i) => { widths[i] = Math.max(widths[i] ?? 0, [...c].length) })
  return rows.map((r) => r.map((c, i) => i < r.length - 1 ? c.padEnd(widths[i]! + padding) : c).join('').replace(/\s+$/, '')).join('\n')
}

function buildpacksTable(bps: ModuleInfo[]): string {
  if (!bps.length) return `Buildpacks:\n  ${NONE}\n`
  return `Buildpacks:\n${table([['  ID', 'NAME', 'VERSION', 'HOMEPAGE'], ...bps.map((b) => [`  ${b.id}`, b.name || '-', b.version, b.homepage || '-'])], 8)}\n`
}

/** pack's tree: ├/└ branches, "Group #n:" for groups, "(optional)" and "[cyclic]" markers. */
function orderTree(order: DetectionOrderEntry[]): string {
  if (!order.length) return `Detection Order:\n  ${NONE}\n`
  const rows: string[][] = []
  const name = (e: DetectionOrderEntry): string => e.version ? `${e.id}@${e.version}` : e.id ?? ''
  const walk = (entries: DetectionOrderEntry[], prefix: string): void => {
    let group = 0
    entries.forEach((e, i) => {
      const last = i === entries.length - 1
      const line = `${prefix}${last ? ' └ ' : ' ├ '}`
      const next = `${prefix}${last ? '   ' : ' │ '}`
      const marks = `${e.optional ? '(optional)' : ''}${e.cyclic ? '[cyclic]' : ''}`
      if (e.buildpacks?.length) {
        let groupPrefix = next
        let head = line
        if (e.id) {
          rows.push([`${line}${name(e)}`, marks])
          head = `${next} └ `
          groupPrefix = `${next}   `
        }
        group++
        rows.push([`${head}Group #${group}:`, ''])
        walk(e.buildpacks, groupPrefix)
      } else {
        rows.push([`${line}${name(e)}`, marks])
      }
    })
  }
  walk(order, '')
  return `Detection Order:\n${table(rows, 4)}\n`
}
