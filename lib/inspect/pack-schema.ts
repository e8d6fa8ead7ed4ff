/** pack's `inspect-image` output schema (pack internal/inspectimage: InspectOutput, InfoDisplay,
 * BOMDisplay), key for key and in pack's key order, built from an InspectResult; and pack's human
 * text. lading's own extras (digest, platform, SBOM documents) follow pack's keys under their own.
 *
 * Where: pack reads an image from the registry (`remote_info`) and from the Docker daemon
 * (`local_info`). lading has no daemon; a registry reference fills `remote_info`, and an
 * `oci:` layout, the image on this machine, fills `local_info`. The other one is null, as pack
 * prints for an image it finds in one place only.
 */
import type { InspectProcess, InspectResult, SbomDocument } from './inspect.js'
import { definedOnly } from '../defined.js'

/** pack's dist.ModuleInfo as inspect prints it (id, version, homepage; empty ones left out). */
export interface PackModuleInfo { id?: string; version?: string; homepage?: string }

/** pack's ProcessDisplay. `args` is null when there are none (a nil Go slice). */
export interface PackProcess {
  type: string
  shell: string
  command: string
  default: boolean
  args: string[] | null
  'working-dir': string
}

/** pack's InfoDisplay; lists are null when empty, as Go's nil slices print. */
export interface PackInfo {
  stack: string
  base_image: { top_layer: string; reference: string }
  run_images: { name: string; user_configured?: true }[] | null
  buildpacks: PackModuleInfo[] | null
  extensions: PackModuleInfo[] | null
  processes: PackProcess[] | null
  rebasable: boolean
}

/** Which of pack's two slots an image fills. */
export type InspectWhere = 'remote' | 'local'

/** lading's keys after pack's: what pack does not show. */
export interface LadingExtras {
  digest: string
  platform: string
  /** False for an image without io.buildpacks metadata labels. */
  cnb: boolean
  /** SBOM documents (with --bom). */
  sbom?: SbomDocument[]
}

const nonEmpty = <T>(xs: T[]): T[] | null => (xs.length ? xs : null)

function moduleInfo(b: { id: string; version: string; homepage?: string }): PackModuleInfo {
  return definedOnly({ id: b.id || undefined, version: b.version || undefined, homepage: b.homepage || undefined })
}

/** pack's ProcessDisplay: command is the first entry; the other entries, then args, are args. */
export function packProcess(p: InspectProcess): PackProcess {
  const args = [...p.command.slice(1), ...p.args]
  return { type: p.type, shell: p.shell, command: p.command[0] ?? '', default: p.default, args: nonEmpty(args), 'working-dir': p.workingDir }
}

/** Returns pack's InfoDisplay for an inspected image. */
export function packInfo(r: InspectResult): PackInfo {
  const runs = [r.runImage.image, ...r.runImage.mirrors].filter((x) => x !== '')
  return {
    stack: r.stack,
    base_image: { top_layer: r.base.topLayer, reference: r.base.reference },
    run_images: nonEmpty(runs.map((name) => ({ name }))),
    buildpacks: nonEmpty(r.buildpacks.map(moduleInfo)),
    extensions: nonEmpty(r.extensions.map(moduleInfo)),
    processes: nonEmpty(r.processes.map(packProcess)),
    rebasable: r.rebasable,
  }
}

/** lading's extras for an inspected image. */
export function ladingExtras(r: InspectResult): LadingExtras {
  const s = r.image
  return definedOnly({
    digest: s.digest,
    platform: `${s.os}/${s.architecture}${s.variant ? `/${s.variant}` : ''}`,
    cnb: r.cnb,
    sbom: r.sbom || undefined,
  })
}

/** pack's InspectOutput (`image_name`, `remote_info`, `local_info`), then lading's extras. */
export function packInspectOutput(r: InspectResult, name: string, where: InspectWhere): Record<string, unknown> {
  const info = packInfo(r)
  return { image_name: name, remote_info: where === 'remote' ? info : null, local_info: where === 'local' ? info : null, ...ladingExtras(r) }
}

/** One entry of pack's BOMDisplay. */
export interface PackBomEntry {
  name: string
  version?: string
  metadata: unknown
  buildpacks: { id?: string; version?: string; optional?: true }
}

function bomEntries(bom: unknown): PackBomEntry[] | null {
  if (!Array.isArray(bom)) return null
  return nonEmpty(bom.flatMap((e): PackBomEntry[] => {
    if (!e || typeof e !== 'object') return []
    const o = e as Record<string, unknown>
    const bp = (o['buildpack'] && typeof o['buildpack'] === 'object' ? o['buildpack'] : {}) as Record<string, unknown>
    const str = (v: unknown) => (typeof v === 'string' ? v : '')
    return [definedOnly({
      name: str(o['name']),
      version: str(o['version']) || undefined,
      metadata: o['metadata'] ?? null,
      buildpacks: definedOnly({ ...moduleInfo({ id: str(bp['id']), version: str(bp['version']) }), optional: bp['optional'] === true ? true as const : undefined }),
    })]
  }))
}

/** pack's `inspect --bom` document (BOMDisplay: `remote`, `local`), then lading's extras. */
export function packBomOutput(r: InspectResult, where: InspectWhere): Record<string, unknown> {
  const entries = bomEntries(r.bom)
  return { remote: where === 'remote' ? entries : null, local: where === 'local' ? entries : null, ...ladingExtras(r) }
}

/**
 * Go's text/tabwriter as pack configures it (minwidth 0, padding 8, spaces): each tab-ended
 * cell is padded to its column's widest cell + 8, per block of consecutive lines that have it.
 */
export function tabwrite(lines: readonly string[]): string[] {
  const cells = lines.map((l) => l.split('\t'))
  const out = cells.map((c) => [...c])
  const align = (from: number, to: number, col: number): void => {
    let i = from
    while (i < to) {
      if (cells[i]!.length - 1 <= col) { i++; continue }
      let j = i
      while (j < to && cells[j]!.length - 1 > col) j++
      const width = Math.max(...cells.slice(i, j).map((c) => c[col]!.length)) + 8
      for (let k = i; k < j; k++) out[k]![col] = cells[k]![col]!.padEnd(width)
      align(i, j, col + 1)
      i = j
    }
  }
  align(0, lines.length, 0)
  return out.map((c) => c.join(''))
}

/** pack's human text for one InfoDisplay (its template, without the trailing newline). */
export function packInfoText(info: PackInfo): string {
  const l: string[] = ['', `Stack: ${info.stack}`, '', 'Base Image:']
  if (info.base_image.reference) l.push(`  Reference: ${info.base_image.reference}`)
  l.push(`  Top Layer: ${info.base_image.top_layer}`, '', 'Run Images:')
  for (const m of info.run_images ?? []) l.push(m.user_configured ? `  ${m.name}\t(user-configured)` : `  ${m.name}`)
  if (!info.run_images) l.push('  (none)')
  l.push('', `Rebasable: ${info.rebasable}`, '', 'Buildpacks:')
  const modules = (ms: PackModuleInfo[]) => ['  ID\tVERSION\tHOMEPAGE', ...ms.map((b) => `  ${b.id ?? ''}\t${b.version ?? ''}\t${b.homepage || '-'}`)]
  l.push(...(info.buildpacks ? modules(info.buildpacks) : ['  (buildpack metadata not present)']))
  if (info.extensions) l.push('', 'Extensions:', ...modules(info.extensions))
  if (info.processes) {
    l.push('', 'Processes:', '  TYPE\tSHELL\tCOMMAND\tARGS\tWORK DIR')
    for (const p of info.processes) {
      l.push(`  ${p.default ? `${p.type} (default)` : p.type}\t${p.shell}\t${p.command}\t${(p.args ?? []).join(' ')}\t${p['working-dir']}`)
    }
  }
  return tabwrite(l).join('\n')
}

/** pack's human output: `Inspecting image:`, then the REMOTE: and LOCAL: sections. */
export function packHumanText(r: InspectResult, name: string, where: InspectWhere): string {
  const section = (w: InspectWhere) => (w === where ? `${packInfoText(packInfo(r))}\n` : '(not present)\n')
  return `Inspecting image: '${name}'\n\nREMOTE:\n${section('remote')}\nLOCAL:\n${section('local')}`
}
