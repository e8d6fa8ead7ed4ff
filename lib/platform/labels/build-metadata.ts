/** `io.buildpacks.build.metadata` (cnb-spec.md §4.4): the buildpacks, launcher and processes of an
 * app image, as `pack inspect` reads them. Encoded with array `command`; decoded leniently
 * (string `command` from Platform < 0.10 images, `null` args, missing keys).
 */
import { LABELS } from './names.js'
import { type JsonObject, LenientReader, parseLabelJson } from './lenient.js'
import type { Decoded } from './lifecycle-metadata.js'
import type { BuildMetadataToml } from '../files/metadata-toml.js'

/** A buildpack entry (the Go struct drops `api` from the JSON [impl]). */
export interface BuildpackRef {
  id: string
  version: string
  homepage?: string
}

/** The launcher's version and where it came from. */
export interface LauncherMetadata {
  version: string
  source: { git: { repository: string; commit: string } }
}

/** A process as recorded in the label. `args` may be null in images other tools wrote. */
export interface ProcessMetadata {
  type: string
  command: string[]
  args: string[] | null
  direct: boolean
  buildpackID: string
  workingDir?: string
}

/** The decoded build metadata label. */
export interface BuildMetadataLabel {
  buildpacks: BuildpackRef[]
  /** Present only when image extensions ran. */
  extensions?: BuildpackRef[]
  launcher: LauncherMetadata
  processes: ProcessMetadata[]
  /** The default a buildpack chose (metadata.toml's buildpack-default-process-type); omitted when none. */
  buildpackDefaultProcessType?: string
}

function encodeRef(b: BuildpackRef): JsonObject {
  const out: JsonObject = { id: b.id, version: b.version }
  if (b.homepage) out['homepage'] = b.homepage
  return out
}

/**
 * Returns the label value (compact JSON), keys in §4.4 order: buildpacks [{id, version,
 * homepage?}], extensions (when any), launcher {version, source {git {repository, commit}}},
 * processes [{type, command[], args, direct, buildpackID, working-dir?}].
 */
export function encodeBuildMetadata(md: BuildMetadataLabel): string {
  const out: JsonObject = { buildpacks: md.buildpacks.map(encodeRef) }
  if (md.extensions && md.extensions.length > 0) out['extensions'] = md.extensions.map(encodeRef)
  const g = md.launcher.source.git
  out['launcher'] = { version: md.launcher.version, source: { git: { repository: g.repository, commit: g.commit } } }
  out['processes'] = md.processes.map((p) => {
    const po: JsonObject = {
      type: p.type, command: [...p.command], args: p.args === null ? null : [...p.args], direct: p.direct,
      buildpackID: p.buildpackID,
    }
    if (p.workingDir) po['working-dir'] = p.workingDir
    return po
  })
  // The lifecycle's BuildMetadata field order: buildpacks, extensions, launcher, processes, then this (omitempty).
  if (md.buildpackDefaultProcessType) out['buildpack-default-process-type'] = md.buildpackDefaultProcessType
  return JSON.stringify(out)
}

function decodeRefs(rd: LenientReader, v: unknown, path: string): BuildpackRef[] {
  return rd.arr(v, path).flatMap((x, i) => {
    const o = rd.obj(x, `${path}[${i}]`)
    if (!o) return []
    const ref: BuildpackRef = { id: rd.str(o['id'], `${path}[${i}].id`), version: rd.str(o['version'], `${path}[${i}].version`) }
    const homepage = rd.str(o['homepage'], `${path}[${i}].homepage`)
    if (homepage) ref.homepage = homepage
    return [ref]
  })
}

function decodeCommand(rd: LenientReader, v: unknown, path: string): string[] {
  if (typeof v === 'string') return v === '' ? [] : [v]
  return rd.strings(v, path)
}

/**
 * Decodes the build metadata label. Throws LabelError when `text` is not a JSON object; every
 * other problem becomes a zero value plus a warning.
 */
export function decodeBuildMetadata(text: string): Decoded<BuildMetadataLabel> {
  const o = parseLabelJson(LABELS.BUILD_METADATA, text)
  const rd = new LenientReader(LABELS.BUILD_METADATA)
  const launcher = rd.obj(o['launcher'], 'launcher') ?? {}
  const source = rd.obj(launcher['source'], 'launcher.source') ?? {}
  const git = rd.obj(source['git'], 'launcher.source.git') ?? {}
  const value: BuildMetadataLabel = {
    buildpacks: decodeRefs(rd, o['buildpacks'], 'buildpacks'),
    launcher: {
      version: rd.str(launcher['version'], 'launcher.version'),
      source: {
        git: {
          repository: rd.str(git['repository'], 'launcher.source.git.repository'),
          commit: rd.str(git['commit'], 'launcher.source.git.commit'),
        },
      },
    },
    processes: rd.arr(o['processes'], 'processes').flatMap((x, i) => {
      const path = `processes[${i}]`
      const p = rd.obj(x, path)
      if (!p) return []
      const proc: ProcessMetadata = {
        type: rd.str(p['type'], `${path}.type`),
        command: decodeCommand(rd, p['command'], `${path}.command`),
        args: p['args'] === null ? null : rd.strings(p['args'], `${path}.args`),
        direct: rd.bool(p['direct'], `${path}.direct`),
        buildpackID: rd.str(p['buildpackID'], `${path}.buildpackID`),
      }
      const wd = rd.str(p['working-dir'], `${path}.working-dir`)
      if (wd) proc.workingDir = wd
      return [proc]
    }),
  }
  const ext = decodeRefs(rd, o['extensions'], 'extensions')
  if (ext.length > 0) value.extensions = ext
  const bpDefault = rd.str(o['buildpack-default-process-type'], 'buildpack-default-process-type')
  if (bpDefault) value.buildpackDefaultProcessType = bpDefault
  return { value, warnings: rd.warnings }
}

/**
 * Returns the build metadata label value for an export from the metadata.toml content and the
 * launcher identity: buildpacks without `api`, processes in metadata.toml order.
 */
export function buildMetadataFromToml(md: BuildMetadataToml, launcher: LauncherMetadata): BuildMetadataLabel {
  const ref = (b: { id: string; version: string; homepage?: string }): BuildpackRef =>
    b.homepage ? { id: b.id, version: b.version, homepage: b.homepage } : { id: b.id, version: b.version }
  const out: BuildMetadataLabel = {
    buildpacks: md.buildpacks.map(ref),
    launcher,
    processes: md.processes.map((p) => {
      const pm: ProcessMetadata = { type: p.type, command: [...p.command], args: [...p.args], direct: p.direct, buildpackID: p.buildpackId }
      if (p.workingDir) pm.workingDir = p.workingDir
      return pm
    }),
  }
  if (md.extensions && md.extensions.length > 0) out.extensions = md.extensions.map(ref)
  if (md.buildpackDefaultProcessType) out.buildpackDefaultProcessType = md.buildpackDefaultProcessType
  return out
}
