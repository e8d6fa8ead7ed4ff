/** `lading inspect` data (issue #4): what `pack inspect` shows, read from an image's config and
 * io.buildpacks labels (cnb-spec.md §4.4), leniently, so images from older lifecycles and other
 * tools inspect too. With `bom`, the legacy build-metadata `bom` and the SBOM layer's documents.
 * A non-CNB image gets a plain summary. Reads nothing but the config and, for `bom`, one layer.
 * Like pack, a malformed io.buildpacks label it needs (not JSON, or a field of the wrong type)
 * fails the inspection (MalformedLabelError, exit 4) instead of showing half-read data.
 */
import type { Readable } from 'node:stream'
import tarStream from 'tar-stream'
import { LadingError, wrapError } from '../errors.js'
import type { Image } from '../image/index.js'
import { parseDigest } from '../digest/index.js'
import {
  LABELS, decodeBuildMetadata, decodeLifecycleMetadata, type BuildpackRef, type LayersMetadata, type ProcessMetadata,
} from '../platform/index.js'
import { PROCESS_DIR } from '../launch/index.js'
import { definedOnly } from '../defined.js'

/** The launcher source repository lading writes into the build metadata label. */
const LADING_LAUNCHER_REPOSITORY = 'github.com/lading/lading'

/** A label `inspect` needs is not what the lifecycle writes; pack's `unmarshalling label '...'`. */
export class MalformedLabelError extends LadingError {
  constructor(readonly label: string, detail: string) {
    super('ERR_LABEL_INVALID', `unmarshalling label '${label}': ${detail}`)
  }
}

/** One process as `pack inspect` lists it. */
export interface InspectProcess {
  type: string
  /** `bash` for a non-direct (shell) process, as pack shows it; '' for direct ones. */
  shell: string
  command: string[]
  args: string[]
  /** The process's working dir, else the image's WorkingDir. */
  workingDir: string
  default: boolean
  buildpackId: string
}

/** One SBOM document from the SBOM layer (`layers/sbom/launch/<buildpack>[/<layer>]/sbom.<ext>`). */
export interface SbomDocument {
  /** Path inside the image, e.g. `/layers/sbom/launch/acme_node/sbom.cdx.json`. */
  path: string
  /** Buildpack id with `_` for `/` as in the path (the lifecycle's escaping), '' when not under one. */
  buildpack: string
  /** Layer name for per-layer SBOMs, else undefined. */
  layer?: string
  /** `cyclonedx`, `spdx`, `syft` or `unknown`, from the file extension. */
  format: string
  size: number
  /** Parsed JSON (undefined when the file is not valid JSON; a warning says so). */
  content?: unknown
}

/** A plain image summary; present for every image (the only detail for a non-CNB one). */
export interface ImageSummary {
  digest: string
  mediaType: string
  os: string
  architecture: string
  variant?: string
  created?: string
  layers: number
  /** Sum of the manifest's layer sizes (compressed bytes). */
  size: number
  entrypoint: string[]
  cmd: string[]
  env: string[]
  workingDir: string
  user: string
  labels: Record<string, string>
}

/** Everything `lading inspect` shows. CNB fields are empty for a non-CNB image (`cnb: false`). */
export interface InspectResult {
  cnb: boolean
  image: ImageSummary
  /** `io.buildpacks.stack.id`, as pack shows it ('' when absent, as for newer lifecycles). */
  stack: string
  base: { reference: string; topLayer: string }
  runImage: { image: string; mirrors: string[] }
  /** `io.buildpacks.rebasable`; true when the label is absent (as pack reads it). */
  rebasable: boolean
  buildpacks: BuildpackRef[]
  /** Empty when the image has none (pack prints null then). */
  extensions: BuildpackRef[]
  /** The default process first, then the others in label order (pack's order). */
  processes: InspectProcess[]
  launcher?: { version: string; repository: string; commit: string }
  /** Legacy `bom` array of the build metadata label, when `bom` was asked and it is there. */
  bom?: unknown
  /** SBOM documents, when `bom` was asked (empty when the image has no SBOM layer). */
  sbom?: SbomDocument[]
  /** What was ignored reading the SBOM layer (never fatal). */
  warnings: string[]
}

/** Options for inspectImage. */
export interface InspectOptions {
  /** Also read the legacy BOM and the SBOM layer's documents. */
  bom?: boolean
  signal?: AbortSignal
  /** Largest SBOM file read into memory (default 32 MiB); bigger ones are listed, not parsed. */
  maxSbomBytes?: number
}

/**
 * Returns the InspectResult of `image`. Throws MalformedLabelError (ERR_LABEL_INVALID, exit 4)
 * for a lifecycle or build metadata label that is not a JSON object or has a field of the wrong
 * type, or a rebasable label that is not a JSON boolean (where pack fails too); errors reading
 * the config or the SBOM layer propagate (wrapped).
 */
export async function inspectImage(image: Image, opts: InspectOptions = {}): Promise<InspectResult> {
  const [config, manifest, desc] = await Promise.all([image.config(), image.manifest(), image.descriptor()])
  const c = config.config ?? {}
  const labels: Record<string, string> = { ...c.Labels }
  const summary: ImageSummary = definedOnly({
    digest: desc.digest, mediaType: desc.mediaType, os: config.os, architecture: config.architecture,
    variant: config.variant || undefined, created: config.created || undefined,
    layers: manifest.layers.length, size: manifest.layers.reduce((n, l) => n + l.size, 0),
    entrypoint: [...(c.Entrypoint ?? [])], cmd: [...(c.Cmd ?? [])], env: [...(c.Env ?? [])],
    workingDir: c.WorkingDir ?? '', user: c.User ?? '', labels,
  })
  const warnings: string[] = []
  const lmText = labels[LABELS.LIFECYCLE_METADATA]
  const bmText = labels[LABELS.BUILD_METADATA]
  const out: InspectResult = {
    cnb: lmText !== undefined || bmText !== undefined, image: summary,
    stack: labels[LABELS.STACK_ID] ?? '',
    base: { reference: '', topLayer: '' }, runImage: { image: '', mirrors: [] },
    rebasable: rebasableLabel(labels[LABELS.REBASABLE]),
    buildpacks: [], extensions: [], processes: [], warnings,
  }
  // Empty labels read as absent, as pack's GetLabel does.
  const lm = lmText ? strictDecode(LABELS.LIFECYCLE_METADATA, lmText, decodeLifecycleMetadata) : undefined
  const bm = bmText ? strictDecode(LABELS.BUILD_METADATA, bmText, decodeBuildMetadata) : undefined
  if (!out.cnb) return out
  if (lm) {
    // pack drops the reference for images whose lifecycle launcher predates it (< 0.5.0); lading's
    // own launcher (versioned on its own) always wrote it.
    const ours = bm?.launcher.source.git.repository === LADING_LAUNCHER_REPOSITORY
    const old = !ours && /^0\.[0-4]\./.test(bm?.launcher.version ?? '')
    out.base = { reference: old ? '' : lm.runImage.reference, topLayer: lm.runImage.topLayer }
    out.runImage = { image: lm.runImage.image, mirrors: [...lm.runImage.mirrors] }
  }
  if (bm) {
    out.buildpacks = bm.buildpacks
    out.extensions = bm.extensions ?? []
    const defaultType = defaultProcessType(summary, bm.processes)
    const all = bm.processes.map((p) => inspectProcess(p, p.type === defaultType, summary.workingDir))
    out.processes = [...all.filter((p) => p.default), ...all.filter((p) => !p.default)]
    const g = bm.launcher.source.git
    if (bm.launcher.version || g.repository) out.launcher = { version: bm.launcher.version, repository: g.repository, commit: g.commit }
  } else if (lm) {
    // No build metadata: the lifecycle label still names the buildpacks (key/version only).
    out.buildpacks = lm.buildpacks.map((b) => ({ id: b.key, version: b.version }))
  }
  if (opts.bom) {
    const legacy = legacyBom(bmText)
    if (legacy !== undefined) out.bom = legacy
    out.sbom = lm?.sbom ? await readSbomLayer(image, lm, warnings, opts) : []
  }
  return out
}

/** Decodes a label, failing where pack's json.Unmarshal fails: not a JSON object, or a field of the wrong type. */
function strictDecode<T>(label: string, text: string, decode: (s: string) => { value: T; warnings: string[] }): T {
  let d
  try {
    d = decode(text)
  } catch (err) {
    if (!(err instanceof LadingError) || err.code !== 'ERR_LABEL_INVALID') throw err
    throw new MalformedLabelError(label, err.message.replace(`label ${label}: `, ''))
  }
  if (d.warnings.length > 0) throw new MalformedLabelError(label, d.warnings[0]!.replace(`${label}: `, ''))
  return d.value
}

/** `io.buildpacks.rebasable` as pack reads it: absent or empty → true, else a JSON boolean. */
function rebasableLabel(text: string | undefined): boolean {
  if (!text) return true
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch (err) {
    throw new MalformedLabelError(LABELS.REBASABLE, (err as Error).message)
  }
  if (v === null) return false
  if (typeof v !== 'boolean') throw new MalformedLabelError(LABELS.REBASABLE, `must be a JSON boolean, got ${JSON.stringify(v)}`)
  return v
}

/**
 * The default process type: the Entrypoint `/cnb/process/<type>` (Platform ≥ 0.4), else
 * CNB_PROCESS_TYPE in Env (older platforms), else the process whose command the Entrypoint is
 * (images exported without a launcher).
 */
function defaultProcessType(s: ImageSummary, processes: readonly ProcessMetadata[]): string | undefined {
  const ep = s.entrypoint[0]
  if (ep?.startsWith(`${PROCESS_DIR}/`)) return ep.slice(PROCESS_DIR.length + 1)
  const env = s.env.find((e) => e.startsWith('CNB_PROCESS_TYPE='))
  if (env) return env.slice('CNB_PROCESS_TYPE='.length)
  if (!ep) return undefined
  return processes.find((p) => p.command.length > 0 && p.command.every((c, i) => s.entrypoint[i] === c))?.type
}

function inspectProcess(p: ProcessMetadata, isDefault: boolean, imageWorkDir: string): InspectProcess {
  return {
    type: p.type, shell: p.direct ? '' : 'bash', command: [...p.command], args: [...(p.args ?? [])],
    workingDir: p.workingDir || imageWorkDir, default: isDefault, buildpackId: p.buildpackID,
  }
}

/** The raw `bom` of the build metadata label (Platform < 0.9 images), when it is a JSON array/object. */
function legacyBom(text: string | undefined): unknown {
  if (text === undefined) return undefined
  try {
    const o = JSON.parse(text) as Record<string, unknown> | null
    const bom = o && typeof o === 'object' ? o['bom'] : undefined
    return bom === null ? undefined : bom
  } catch {
    // Not reached: inspectImage has already failed on such a label.
    return undefined
  }
}

const SBOM_FORMATS: Record<string, string> = { 'cdx.json': 'cyclonedx', 'spdx.json': 'spdx', 'syft.json': 'syft' }

/** Returns the SBOM documents from the layer whose diffID is `lm.sbom.sha`. */
async function readSbomLayer(image: Image, lm: LayersMetadata, warnings: string[], opts: InspectOptions): Promise<SbomDocument[]> {
  const sha = lm.sbom!.sha
  let layer
  try {
    layer = await image.layerByDiffId(parseDigest(sha))
  } catch (err) {
    warnings.push(`SBOM layer ${sha} named by ${LABELS.LIFECYCLE_METADATA} is not in the image (${(err as Error).message})`)
    return []
  }
  try {
    return await sbomDocuments(await layer.uncompressed(opts.signal), warnings, opts.maxSbomBytes ?? 32 * 1024 * 1024)
  } catch (err) {
    throw wrapError(`read the SBOM layer ${sha}`, err)
  }
}

/**
 * Returns the regular files under `layers/sbom/` of a layer tar, in tar order, with their
 * parsed JSON (files over `max` bytes are listed without content, with a warning).
 */
export async function sbomDocuments(tar: Readable, warnings: string[], max = 32 * 1024 * 1024): Promise<SbomDocument[]> {
  const docs: SbomDocument[] = []
  const extract = tarStream.extract()
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const name = header.name.replace(/^\.?\/+/, '')
      const keep = header.type === 'file' && name.startsWith('layers/sbom/')
      const chunks: Buffer[] = []
      let size = 0
      stream.on('data', (d: unknown) => {
        const b = d as Buffer
        size += b.length
        if (keep && size <= max) chunks.push(b)
      })
      stream.on('end', () => {
        if (keep) docs.push(sbomDocument(name, size, size <= max ? Buffer.concat(chunks) : undefined, warnings))
        next()
      })
      stream.on('error', reject)
    })
    extract.on('finish', resolve)
    extract.on('error', reject)
  })
  tar.on('error', (err) => extract.destroy(err))
  tar.pipe(extract)
  await done
  return docs
}

function sbomDocument(name: string, size: number, bytes: Buffer | undefined, warnings: string[]): SbomDocument {
  const parts = name.split('/').slice(3) // drop layers/sbom/<launch|build|cache>
  const file = parts.at(-1) ?? ''
  const ext = file.replace(/^sbom\./, '')
  const doc: SbomDocument = {
    path: `/${name}`, buildpack: parts.length >= 2 ? parts[0]! : '', format: SBOM_FORMATS[ext] ?? 'unknown', size,
  }
  if (parts.length >= 3) doc.layer = parts.slice(1, -1).join('/')
  if (!bytes) {
    warnings.push(`${doc.path}: ${size} bytes, too large to read; listed only`)
    return doc
  }
  try {
    doc.content = JSON.parse(bytes.toString('utf8'))
  } catch (err) {
    warnings.push(`${doc.path}: not valid JSON (${(err as Error).message})`)
  }
  return doc
}
