import { expectPositionals } from '../args.js'
import type { Command } from '../command.js'
import { formatBytes } from '../output.js'
import { fetchImage } from '../../remote/index.js'
import { type SbomDocument, type InspectResult, inspectImage } from '../../inspect/index.js'

/** `lading inspect IMAGE`: what `pack inspect` shows, from the registry or an OCI layout. */
export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'Show what an app image is made of: base, run images, buildpacks, processes, SBOM',
  usage: 'inspect IMAGE [--bom] [--platform OS/ARCH[/VARIANT]] [--json]',
  help: `Shows the base image (reference, top layer), the run image and its mirrors, whether it is
rebasable, the buildpacks and the processes of a Cloud Native Buildpacks image, read from its
io.buildpacks labels. Any other image gets a plain summary (layers, size, config).
IMAGE is a registry reference or oci:DIR[:TAG]; an index is narrowed to --platform (default:
this machine's).

Flags:
  --bom              also show the legacy bill of materials and the SBOM layer's documents
                     (with --json, their parsed contents)
  --platform P       pick P from a multi-platform index

Examples:
  lading inspect registry.example.com/app:1.2
  lading inspect oci:./out:app --bom --json | jq '.sbom[].content'`,
  options: { bom: { type: 'boolean' }, platform: { type: 'string' } },
  async run(ctx, args) {
    const [arg] = expectPositionals(args, 'inspect', ['IMAGE'])
    const platform = ctx.platform(args.values.platform)
    const target = await ctx.target(arg!)
    const image = await fetchImage(target.repo, target.identifier, platform ? { platform } : {})
    const result = await inspectImage(image, { bom: Boolean(args.values.bom) })
    for (const w of result.warnings) ctx.out.warn(w)
    if (ctx.flags.json) ctx.out.data(`${JSON.stringify({ reference: target.display, ...result }, null, 2)}\n`)
    else ctx.out.data(renderInspect(result, target.display))
    return 0
  },
}

/** Returns `rows` as left-aligned columns (pack's tabwriter look), each line indented by two spaces. */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = []
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)))
  return rows.map((r) => `  ${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 4))).join('')}`.trimEnd())
}

/**
 * Returns the human text for an InspectResult: pack's sections (Base Image, Run Images,
 * Rebasable, Buildpacks, Processes), then the BOM/SBOM when present; a plain summary for a
 * non-CNB image.
 */
export function renderInspect(r: InspectResult, display: string): string {
  const s = r.image
  const plat = `${s.os}/${s.architecture}${s.variant ? `/${s.variant}` : ''}`
  const out: string[] = [`Inspecting image: '${display}'`, '', `Digest: ${s.digest}`, `Platform: ${plat}`, '']
  if (!r.cnb) {
    out.push(
      'Not a Cloud Native Buildpacks image (no io.buildpacks.lifecycle.metadata or io.buildpacks.build.metadata label).', '',
      ...(s.created ? [`Created: ${s.created}`] : []),
      `Layers: ${s.layers} (${formatBytes(s.size)})`,
      `Entrypoint: ${s.entrypoint.length ? JSON.stringify(s.entrypoint) : '(none)'}`,
      `Cmd: ${s.cmd.length ? JSON.stringify(s.cmd) : '(none)'}`,
      `WorkingDir: ${s.workingDir || '(none)'}`,
      `User: ${s.user || '(none)'}`,
      'Env:', ...(s.env.length ? s.env.map((e) => `  ${e}`) : ['  (none)']),
      'Labels:', ...(Object.keys(s.labels).length ? Object.keys(s.labels).sort().map((k) => `  ${k}=${s.labels[k]}`) : ['  (none)']),
    )
    return `${out.join('\n')}\n`
  }
  if (r.stack) out.push(`Stack: ${r.stack}`, '')
  out.push('Base Image:')
  if (r.base.reference) out.push(`  Reference: ${r.base.reference}`)
  out.push(`  Top Layer: ${r.base.topLayer || '(unknown)'}`, '', 'Run Images:')
  const runs = [r.runImage.image, ...r.runImage.mirrors].filter((x) => x !== '')
  out.push(...(runs.length ? runs.map((x) => `  ${x}`) : ['  (none)']), '', `Rebasable: ${r.rebasable}`, '', 'Buildpacks:')
  out.push(...(r.buildpacks.length
    ? table([['ID', 'VERSION', 'HOMEPAGE'], ...r.buildpacks.map((b) => [b.id, b.version, b.homepage || '-'])])
    : ['  (buildpack metadata not present)']))
  if (r.extensions.length) {
    out.push('', 'Extensions:', ...table([['ID', 'VERSION', 'HOMEPAGE'], ...r.extensions.map((b) => [b.id, b.version, b.homepage || '-'])]))
  }
  if (r.processes.length) {
    out.push('', 'Processes:', ...table([
      ['TYPE', 'SHELL', 'COMMAND', 'ARGS', 'WORK DIR'],
      ...r.processes.map((p) => [
        p.default ? `${p.type} (default)` : p.type, p.shell, p.command[0] ?? '',
        [...p.command.slice(1), ...p.args].join(' '), p.workingDir,
      ]),
    ]))
  }
  if (r.bom !== undefined) out.push('', 'Bill of Materials (legacy):', JSON.stringify(r.bom, null, 2))
  if (r.sbom) out.push('', 'SBOM:', ...renderSbom(r.sbom))
  return `${out.join('\n')}\n`
}

function renderSbom(docs: readonly SbomDocument[]): string[] {
  if (docs.length === 0) return ['  (no SBOM layer)']
  return table([
    ['FORMAT', 'BUILDPACK', 'LAYER', 'ENTRIES', 'SIZE', 'PATH'],
    ...docs.map((d) => [d.format, d.buildpack || '-', d.layer ?? '-', entryCount(d), formatBytes(d.size), d.path]),
  ])
}

/** Components (CycloneDX), packages (SPDX) or artifacts (Syft) in a document, or '-'. */
function entryCount(d: SbomDocument): string {
  const c = d.content
  if (!c || typeof c !== 'object') return '-'
  const o = c as Record<string, unknown>
  const list = o['components'] ?? o['packages'] ?? o['artifacts']
  return Array.isArray(list) ? String(list.length) : '-'
}
