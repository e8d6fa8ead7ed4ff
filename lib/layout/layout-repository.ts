/** An OCI image layout as a Repository (image-spec image-layout.md): `oci-layout`, `index.json`, `blobs/`. */
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DigestMismatchError, isDigest, sha256, type Digest } from '../digest/index.js'
import { LadingError, wrapError } from '../errors.js'
import { pathExists } from '../fs-checks.js'
import {
  InvalidReferenceError, encodeJson, parseJsonObject, parseManifest,
  type Descriptor, type ImageIndex, type ImageManifest, type ManifestStore, type MediaType, type Parsed, type Repository,
} from '../oci/index.js'
import { LayoutBlobStore } from './layout-blobs.js'
import { LayoutIndex } from './layout-index.js'
import { LayoutEntryNotFoundError, LayoutInvalidError, LayoutNotFoundError } from './errors.js'
import { DEFAULT_LAYOUT_TAG, REF_NAME_ANNOTATION, isValidRefName } from './reference.js'

/** `oci:DIR` with no tag names no manifest: the layout holds several and none is tagged latest. */
export class LayoutAmbiguousError extends LadingError {
  constructor(readonly dir: string, readonly entries: readonly Descriptor[]) {
    const list = entries.map((d) => `${d.digest}${d.annotations?.[REF_NAME_ANNOTATION] ? ` (${d.annotations[REF_NAME_ANNOTATION]})` : ' (untagged)'}`)
    super('ERR_LAYOUT_AMBIGUOUS', `OCI layout ${dir} holds ${entries.length} manifests and none is tagged ${DEFAULT_LAYOUT_TAG}; name one as oci:${dir}:TAG or oci:${dir}@DIGEST: ${list.join(', ')}`)
  }
}

/** Largest manifest read from a layout, as for registries. */
export const MAX_MANIFEST_SIZE = 4 << 20

/** Options for openLayout. */
export interface OpenLayoutOptions {
  /** Create the layout (directory, `oci-layout`, empty `index.json`) when it does not exist. */
  create?: boolean
}

/** A Repository over an OCI image layout directory; its `name` is `oci:DIR`. */
export interface LayoutRepository extends Repository {
  readonly dir: string
  readonly blobs: LayoutBlobStore
  readonly index: LayoutIndex
}

/**
 * Opens the layout at `dir` (relative paths resolve against the working directory), creating
 * it when asked. Throws LayoutNotFoundError when `oci-layout` is missing and `create` is not
 * set, LayoutInvalidError for an unsupported `imageLayoutVersion` or a missing index.json.
 */
export async function openLayout(dir: string, opts: OpenLayoutOptions = {}): Promise<LayoutRepository> {
  const marker = join(dir, 'oci-layout')
  let text: Buffer | undefined
  try {
    text = await readFile(marker)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw wrapError(`open OCI layout ${dir}`, err)
  }
  const index = new LayoutIndex(dir)
  if (text === undefined) {
    if (!opts.create) throw new LayoutNotFoundError(dir, 'no oci-layout file')
    await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true })
    await index.ensure()
    // temp + rename: a process opening the layout at the same moment never reads half a marker
    const tmp = `${marker}.${process.pid}.tmp`
    await writeFile(tmp, encodeJson({ imageLayoutVersion: '1.0.0' }))
    await rename(tmp, marker)
  } else {
    let version: unknown
    try {
      version = parseJsonObject(text, 'oci-layout').imageLayoutVersion
    } catch (err) {
      throw new LayoutInvalidError(dir, 'oci-layout is not valid JSON', { cause: err })
    }
    if (typeof version !== 'string' || !/^1\.\d+\.\d+$/.test(version)) {
      throw new LayoutInvalidError(dir, `unsupported imageLayoutVersion ${JSON.stringify(version)}`)
    }
    if (!(await pathExists(index.path))) {
      if (!opts.create) throw new LayoutInvalidError(dir, 'index.json is missing')
      await index.ensure()
    }
  }
  const blobs = new LayoutBlobStore(dir)
  return {
    name: `oci:${dir}`,
    dir,
    blobs,
    index,
    manifests: new LayoutManifestStore(dir, blobs, index),
    async * tags() {
      const seen = new Set<string>()
      for (const d of (await index.read()).manifests) {
        const t = d.annotations?.[REF_NAME_ANNOTATION]
        if (t !== undefined && !seen.has(t)) {
          seen.add(t)
          yield t
        }
      }
    },
  }
}

/**
 * Manifests of a layout: tags are index.json entries with the ref-name annotation (what umoci
 * and skopeo write); digests are blobs. Reads are verified; a tag put replaces that tag's entry.
 * `latest` (what `oci:DIR` means) falls back to the layout's only manifest when no entry is
 * tagged latest, as skopeo reads `oci:DIR`; with several, get() lists them (LayoutAmbiguousError).
 */
export class LayoutManifestStore implements ManifestStore {
  constructor(readonly dir: string, readonly blobs: LayoutBlobStore, readonly index: LayoutIndex) {}

  async resolve(tagOrDigest: string): Promise<Descriptor | undefined> {
    const entries = (await this.index.read()).manifests
    if (isDigest(tagOrDigest)) {
      const st = await this.blobs.stat(tagOrDigest)
      if (!st) return undefined
      const listed = entries.find((d) => d.digest === tagOrDigest)
      if (listed) return { mediaType: listed.mediaType, digest: listed.digest, size: listed.size }
      if (st.size > MAX_MANIFEST_SIZE) throw new LayoutInvalidError(this.dir, `manifest ${tagOrDigest} is larger than ${MAX_MANIFEST_SIZE} bytes`)
      return { ...(await this.#read(st)).descriptor }
    }
    const hit = entries.filter((d) => d.annotations?.[REF_NAME_ANNOTATION] === tagOrDigest).pop()
    if (hit) return structuredClone(hit)
    if (tagOrDigest === DEFAULT_LAYOUT_TAG && entries.length === 1) return structuredClone(entries[0]!)
    return undefined
  }

  async get(tagOrDigest: string): Promise<Parsed<ImageManifest | ImageIndex>> {
    const desc = await this.resolve(tagOrDigest)
    if (!desc) {
      const entries = (await this.index.read()).manifests
      if (tagOrDigest === DEFAULT_LAYOUT_TAG && entries.length > 1) throw new LayoutAmbiguousError(this.dir, entries)
      throw new LayoutEntryNotFoundError('manifest', tagOrDigest, this.dir)
    }
    if (desc.size > MAX_MANIFEST_SIZE) throw new LayoutInvalidError(this.dir, `manifest ${desc.digest} is larger than ${MAX_MANIFEST_SIZE} bytes`)
    return this.#read(desc)
  }

  async #read(desc: Descriptor): Promise<Parsed<ImageManifest | ImageIndex>> {
    const chunks: Buffer[] = []
    for await (const c of await this.blobs.open(desc)) chunks.push(c as Buffer)
    return parseManifest(Buffer.concat(chunks), desc.mediaType === 'application/octet-stream' ? undefined : desc.mediaType)
  }

  async put(tagOrDigest: string, bytes: Uint8Array, mediaType: MediaType): Promise<Descriptor> {
    const digest: Digest = sha256(bytes)
    if (isDigest(tagOrDigest)) {
      if (tagOrDigest !== digest) throw new DigestMismatchError(tagOrDigest, digest, bytes.length)
    } else if (!isValidRefName(tagOrDigest)) {
      throw new InvalidReferenceError(`oci:${this.dir}:${tagOrDigest}`, `ref name ${JSON.stringify(tagOrDigest)} is not valid`)
    }
    await this.blobs.put(bytes, { digest, size: bytes.length, mediaType })
    const desc: Descriptor = { mediaType, digest, size: bytes.length }
    if (!isDigest(tagOrDigest)) {
      await this.index.update((entries) => [
        ...entries.filter((d) => d.annotations?.[REF_NAME_ANNOTATION] !== tagOrDigest),
        { ...desc, annotations: { [REF_NAME_ANNOTATION]: tagOrDigest } },
      ])
    }
    return desc
  }
}
