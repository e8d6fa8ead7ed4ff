/** `lading inspect`: pack's inspect-image output (human, json, yaml, toml) for a registry image or an OCI layout. */
import TOML from '@iarna/toml'
import YAML from 'yaml'
import { LadingError } from '../../errors.js'
import { expectPositionals, UsageError } from '../args.js'
import type { Command } from '../command.js'
import { formatBytes } from '../output.js'
import { fetchImage } from '../../remote/index.js'
import {
  inspectImage, ladingExtras, packBomOutput, packHumanText, packInspectOutput, type InspectResult, type InspectWhere, type SbomDocument,
} from '../../inspect/index.js'

/** The --output formats, as pack names them. */
const FORMATS = ['human-readable', 'json', 'yaml', 'toml'] as const
type Format = (typeof FORMATS)[number]

/** `lading inspect IMAGE`: what `pack inspect` shows, in pack's schema, from the registry or an OCI layout. */
export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'Show what an app image is made of: base, run images, buildpacks, processes, SBOM',
  usage: 'inspect IMAGE [--bom] [--platform OS/ARCH[/VARIANT]] [--output human-readable|json|yaml|toml]',
  help: `Shows the base image (reference, top layer), the run image and its mirrors, whether it is
rebasable, the buildpacks, extensions and processes of a Cloud Native Buildpacks image, read from
its io.buildpacks labels, in pack inspect's layout and schema. A malformed io.buildpacks label
fails with exit 4, naming the label (as pack does).
IMAGE is a registry reference or oci:DIR[:TAG|@DIGEST]; an index is narrowed to --platform
(default: this machine's). A registry image fills pack's remote_info (REMOTE:), an OCI layout
fills local_info (LOCAL:), the image on this machine; lading has no daemon.
lading's own keys follow pack's: digest, platform, cnb and, with --bom, sbom.

Flags:
  -o, --output F     human-readable (default), json, yaml or toml: pack's inspect-image schema
  --json             the same as --output json
  --bom              pack's bill of materials document ({remote, local}; json or yaml), then
                     the SBOM layer's documents (sbom); in human output, their table
  --platform P       pick P from a multi-platform index

Examples:
  lading inspect registry.example.com/app:1.2
  lading inspect oci:./out:app -o yaml
  lading inspect oci:./out:app --bom --json | jq '.sbom[].content'`,
  options: { bom: { type: 'boolean' }, platform: { type: 'string' }, output: { type: 'string', short: 'o' } },
  async run(ctx, args) {
    const [arg] = expectPositionals(args, 'inspect', ['IMAGE'])
    const format = outputFormat(args.values.output, ctx.flags.json)
    const bom = Boolean(args.values.bom)
    if (bom && format === 'toml') throw new UsageError("output format 'toml' is not supported with --bom (pack: json or yaml)", 'inspect')
    try {
      const platform = ctx.platform(args.values.platform)
      const target = await ctx.target(arg!)
      const where: InspectWhere = target.ref ? 'remote' : 'local'
      const image = await fetchImage(target.repo, target.identifier, { signal: ctx.signal, ...(platform ? { platform } : {}) })
      const result = await inspectImage(image, { bom })
      for (const w of result.warnings) ctx.out.warn(w)
      if (format === 'human-readable') {
        ctx.out.data(renderInspect(result, arg!, where))
      } else {
        const doc = bom ? packBomOutput(result, where) : packInspectOutput(result, arg!, where)
        ctx.out.data(serialize(doc, format))
      }
      return 0
    } catch (err) {
      // Scripts parsing the output get one error object, never a partial result.
      if (format !== 'human-readable' && err instanceof Error) {
        ctx.out.data(serialize({ error: { code: err instanceof LadingError ? err.code : 'ERR_INTERNAL', message: err.message } }, format))
      }
      throw err
    }
  },
}

function outputFormat(v: unknown, json: boolean): Format {
  if (v === undefined) return json ? 'json' : 'human-readable'
  if (!FORMATS.includes(v as Format)) throw new UsageError(`output format '${String(v)}' is not supported (${FORMATS.join(', ')})`, 'inspect')
  if (json && v !== 'json') throw new UsageError(`--json is --output json; it conflicts with --output ${String(v)}`, 'inspect')
  return v as Format
}

/**
 * Serializes like pack: json as Go's encoder then json.Indent (two spaces, <>& escaped, one
 * trailing newline); yaml like yaml.v3 (4-space indent, nulls as null); toml without nulls
 * (TOML has none; go-toml leaves nil values out).
 */
export function serialize(doc: unknown, format: Exclude<Format, 'human-readable'>): string {
  if (format === 'json') {
    return `${JSON.stringify(doc, null, 2).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`
  }
  if (format === 'yaml') return YAML.stringify(nilSlices(doc), { indent: 4, indentSeq: true, lineWidth: 0 })
  return TOML.stringify(dropNulls(doc) as TOML.JsonMap)
}

/** pack's list fields (Go slices): yaml.v3 writes a nil slice as [] where encoding/json writes null. */
const SLICE_KEYS = new Set(['run_images', 'buildpacks', 'extensions', 'processes', 'args', 'remote', 'local'])

function nilSlices(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(nilSlices)
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, x === null && SLICE_KEYS.has(k) ? [] : nilSlices(x)]))
  }
  return v
}

function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.filter((x) => x !== null && x !== undefined).map(dropNulls)
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null && x !== undefined).map(([k, x]) => [k, dropNulls(x)]))
  }
  return v
}

/** Returns `rows` as left-aligned columns (pack's tabwriter look), each line indented by two spaces. */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = []
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)))
  return rows.map((r) => `  ${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 4))).join('')}`.trimEnd())
}

/**
 * Returns the human text: pack's (Inspecting image, REMOTE:, LOCAL: with Stack, Base Image, Run
 * Images, Rebasable, Buildpacks, Extensions, Processes), then lading's extras: digest and
 * platform, a plain config summary for a non-CNB image, the legacy BOM and the SBOM table.
 */
export function renderInspect(r: InspectResult, display: string, where: InspectWhere = 'remote'): string {
  const s = r.image
  const extras = ladingExtras(r)
  const out: string[] = [packHumanText(r, display, where), `Digest: ${extras.digest}`, `Platform: ${extras.platform}`]
  if (!r.cnb) {
    out.push(
      '', 'Not a Cloud Native Buildpacks image (no io.buildpacks.lifecycle.metadata or io.buildpacks.build.metadata label).', '',
      ...(s.created ? [`Created: ${s.created}`] : []),
      `Layers: ${s.layers} (${formatBytes(s.size)})`,
      `Entrypoint: ${s.entrypoint.length ? JSON.stringify(s.entrypoint) : '(none)'}`,
      `Cmd: ${s.cmd.length ? JSON.stringify(s.cmd) : '(none)'}`,
      `WorkingDir: ${s.workingDir || '(none)'}`,
      `User: ${s.user || '(none)'}`,
      'Env:', ...(s.env.length ? s.env.map((e) => `  ${e}`) : ['  (none)']),
      'Labels:', ...(Object.keys(s.labels).length ? Object.keys(s.labels).sort().map((k) => `  ${k}=${s.labels[k]}`) : ['  (none)']),
    )
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
