/** `[lifecycle] uri` of builder.toml: the lifecycle's binaries from a release archive
 * (`lifecycle.toml` plus `lifecycle/<binary>`, gzip or not) or a lifecycle image (files under
 * /cnb/lifecycle, labels io.buildpacks.lifecycle.*), added as pack adds them: one layer with
 * /cnb/lifecycle/ and the /lifecycle → /cnb/lifecycle symlink; the version and APIs go into the
 * builder metadata. lading itself never runs these binaries.
 */
import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'
import { createGunzip } from 'node:zlib'
import type { Readable } from 'node:stream'
import tarStream from 'tar-stream'
import type { Image, Layer } from '../image/index.js'
import { layerFromEntries, type TarEntry } from '../layer/index.js'
import { readAll } from '../oci/index.js'
import { isTable, parseTomlText, type Table } from '../toml/index.js'
import { DistributionError } from './errors.js'
import { LABELS, type ApiSet, type BuilderMetadata } from './labels.js'
import { definedOnly } from '../defined.js'

/** The lifecycle layer and what the builder metadata says about it. */
export interface LifecycleParts { layers: Layer[]; metadata: BuilderMetadata['lifecycle'] }

const BINARIES = ['detector', 'restorer', 'analyzer', 'builder', 'exporter', 'launcher', 'creator']

async function tarEntries(tar: Readable, visit: (name: string, type: string, mode: number, body: () => Promise<Buffer>, linkname?: string) => Promise<void>): Promise<void> {
  const extract = tarStream.extract()
  tar.on('error', (e) => extract.destroy(e))
  tar.pipe(extract)
  for await (const entry of extract) {
    let read = false
    const h = entry.header
    await visit(h.name.replace(/^\.?\//, '').replace(/\/$/, ''), h.type ?? 'file', h.mode ?? 0o644, async () => {
      read = true
      return readAll(entry as unknown as Readable, 512 << 20)
    }, h.linkname ?? undefined)
    if (!read) entry.resume()
  }
}

function apiSet(t: unknown): ApiSet {
  const x = isTable(t) ? t : {}
  const list = (v: unknown): string[] => Array.isArray(v) ? v.map(String) : []
  return { deprecated: list(x.deprecated), supported: list(x.supported) }
}

/** Version and APIs as the builder metadata holds them. */
function metadataFrom(version: string, apis: { buildpack: ApiSet; platform: ApiSet }): BuilderMetadata['lifecycle'] {
  return { version, api: { buildpack: apis.buildpack.supported[0] ?? '', platform: apis.platform.supported[0] ?? '' }, apis }
}

async function partsFrom(files: Map<string, { mode: number; body: Buffer; linkname?: string }>, version: string, apis: { buildpack: ApiSet; platform: ApiSet }, what: string, storeDir: string): Promise<LifecycleParts> {
  const missing = BINARIES.filter((b) => !files.has(b))
  if (missing.length) throw new DistributionError('LIFECYCLE_INVALID', what, `not a lifecycle: ${missing.join(', ')} not found`)
  const entries: TarEntry[] = [{ path: '/cnb/lifecycle', type: 'directory', mode: 0o755 }, { path: '/lifecycle', type: 'symlink', linkname: '/cnb/lifecycle' }]
  for (const [name, f] of [...files].sort(([a], [b]) => a < b ? -1 : 1)) {
    entries.push(f.linkname !== undefined ? { path: `/cnb/lifecycle/${name}`, type: 'symlink', linkname: f.linkname }
      : { path: `/cnb/lifecycle/${name}`, type: 'file', mode: f.mode & 0o111 ? 0o755 : 0o644, content: f.body })
  }
  return { layers: [await layerFromEntries(entries, { storeDir })], metadata: metadataFrom(version, apis) }
}

async function openMaybeGzip(file: string): Promise<Readable> {
  const h = await open(file, 'r')
  const head = Buffer.alloc(2)
  try {
    await h.read(head, 0, 2, 0)
  } finally {
    await h.close()
  }
  const raw = createReadStream(file)
  if (head[0] !== 0x1f || head[1] !== 0x8b) return raw
  const gunzip = createGunzip()
  raw.on('error', (e) => gunzip.destroy(e))
  return raw.pipe(gunzip)
}

/** A lifecycle release archive (`lifecycle.toml`, `lifecycle/<binary>`). */
export async function lifecycleFromArchive(file: string, storeDir: string): Promise<LifecycleParts> {
  const files = new Map<string, { mode: number; body: Buffer; linkname?: string }>()
  let descriptor: Table | undefined
  let text = ''
  await tarEntries(await openMaybeGzip(file), async (name, type, mode, body, linkname) => {
    if (name === 'lifecycle.toml') {
      text = (await body()).toString('utf8')
      descriptor = parseTomlText(text, `${file}:lifecycle.toml`)
      return
    }
    const m = /^[^/]+\/([^/]+)$/.exec(name)
    if (m && (type === 'file' || type === 'symlink')) files.set(m[1]!, definedOnly({ mode, body: type === 'file' ? await body() : Buffer.alloc(0), linkname: type === 'symlink' ? linkname ?? '' : undefined }))
  }).catch((err: unknown) => {
    if (err instanceof DistributionError) throw err
    throw new DistributionError('LIFECYCLE_INVALID', file, `not a lifecycle archive (${(err as Error).message})`, { cause: err })
  })
  if (!descriptor) throw new DistributionError('LIFECYCLE_INVALID', file, 'not a lifecycle archive: lifecycle.toml not found')
  const apis = isTable(descriptor.apis) ? descriptor.apis : {}
  const lc = isTable(descriptor.lifecycle) ? descriptor.lifecycle : {}
  files.set('lifecycle.toml', { mode: 0o644, body: Buffer.from(text) })
  return partsFrom(files, String(lc.version ?? ''), { buildpack: apiSet(apis.buildpack), platform: apiSet(apis.platform) }, file, storeDir)
}

/** A lifecycle image (buildpacksio/lifecycle): its /cnb/lifecycle files and io.buildpacks.lifecycle.* labels. */
export async function lifecycleFromImage(image: Image, what: string, storeDir: string): Promise<LifecycleParts> {
  const labels = (await image.config()).config?.Labels ?? {}
  const version = labels[LABELS.lifecycleVersion]
  if (!version) throw new DistributionError('LIFECYCLE_INVALID', what, `not a lifecycle image: no ${LABELS.lifecycleVersion} label`)
  let apis: { buildpack: ApiSet; platform: ApiSet } = { buildpack: apiSet(undefined), platform: apiSet(undefined) }
  try {
    const raw = JSON.parse(labels[LABELS.lifecycleApis] ?? '{}') as Record<string, unknown>
    apis = { buildpack: apiSet(raw.buildpack), platform: apiSet(raw.platform) }
  } catch {
    throw new DistributionError('LIFECYCLE_INVALID', what, `label ${LABELS.lifecycleApis} is not JSON`)
  }
  const files = new Map<string, { mode: number; body: Buffer; linkname?: string }>()
  for (const layer of await image.layers()) {
    await tarEntries(await layer.uncompressed(), async (name, type, mode, body, linkname) => {
      const m = /^cnb\/lifecycle\/([^/]+)$/.exec(name)
      if (m && (type === 'file' || type === 'symlink')) files.set(m[1]!, definedOnly({ mode, body: type === 'file' ? await body() : Buffer.alloc(0), linkname: type === 'symlink' ? linkname ?? '' : undefined }))
    })
  }
  return partsFrom(files, version, apis, what, storeDir)
}
