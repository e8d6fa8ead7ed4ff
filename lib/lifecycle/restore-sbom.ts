/** Puts the previous build's per-layer SBOM files back next to their layers (cnb-spec.md §5.1,
 * §5.2): `layers/sbom/{cache,launch}/<id>/<layer>/sbom.<ext>` from the cache's SBOM layer and the
 * previous image's SBOM layer become `<layers>/<id>/<layer>.sbom.<ext>`, for group buildpacks.
 * A buildpack that keeps a layer without rewriting it then keeps its SBOM too, in the image and
 * in the cache. The launch layer is read second, so the app image wins over the cache.
 *
 * The tars are read entry by entry and only those exact paths are written, under names checked
 * here: an SBOM layer is data from a registry, not something to extract at the build root.
 */
import { createWriteStream } from 'node:fs'
import { rename, rm } from 'node:fs/promises'
import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import tarStream from 'tar-stream'
import { escapeId } from '../buildpack/index.js'
import { wrapError } from '../errors.js'

const ENTRY = /^(?:\.?\/)?layers\/sbom\/(?:launch|cache)\/([^/]+)\/([^/]+)\/sbom\.(cdx\.json|spdx\.json|syft\.json)$/

/** One SBOM layer to read: what to call it in messages, and its uncompressed tar when available. */
export interface SbomSource { what: string; open: () => Promise<Readable | undefined> }

/**
 * Writes the per-layer SBOM files of `sources` (in order; later ones overwrite) into
 * `layersDir`; returns the `<id>/<layer>.sbom.<ext>` names written and warnings for sources that
 * could not be read. Buildpack-level SBOMs (`<id>/sbom.<ext>`) are not restored, as in the lifecycle.
 */
export async function restoreSboms(sources: readonly SbomSource[], layersDir: string, group: readonly { id: string }[]): Promise<{ restored: string[]; warnings: string[] }> {
  const ids = new Set(group.map((b) => escapeId(b.id)))
  const restored = new Set<string>()
  const warnings: string[] = []
  for (const s of sources) {
    let tar: Readable | undefined
    try {
      tar = await s.open()
    } catch (err) {
      warnings.push(`${s.what} could not be read (${(err as Error).message}): its SBOM files are not restored`)
      continue
    }
    if (!tar) {
      warnings.push(`${s.what} is missing: its SBOM files are not restored`)
      continue
    }
    try {
      for (const name of await writeEntries(tar, layersDir, ids)) restored.add(name)
    } catch (err) {
      throw wrapError(`restore SBOM files from ${s.what}`, err)
    }
  }
  return { restored: [...restored].sort(), warnings }
}

async function writeEntries(tar: Readable, layersDir: string, ids: ReadonlySet<string>): Promise<string[]> {
  const out: string[] = []
  const ex = tarStream.extract()
  tar.on('error', (err) => ex.destroy(err))
  tar.pipe(ex as unknown as NodeJS.WritableStream)
  try {
    for await (const entry of ex) {
      const m = entry.header.type === 'file' ? ENTRY.exec(entry.header.name) : null
      const [, id, layer, ext] = m ?? []
      if (!id || !layer || !ext || !ids.has(id) || layer === '.' || layer === '..') {
        entry.resume()
        continue
      }
      const name = `${id}/${layer}.sbom.${ext}`
      const path = join(layersDir, name)
      const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`
      const ws = createWriteStream(tmp, { mode: 0o644 })
      try {
        await pipeline(entry, ws)
        await rename(tmp, path)
      } catch (err) {
        // A write stream opens its file lazily: when the entry fails first, the file may appear
        // after the pipeline rejected. Wait for the stream to close, then remove it.
        if (!ws.closed) await once(ws, 'close').catch(() => {})
        await rm(tmp, { force: true })
        throw err
      }
      out.push(name)
    }
  } catch (err) {
    tar.destroy()
    ex.destroy()
    throw err
  }
  return out
}
