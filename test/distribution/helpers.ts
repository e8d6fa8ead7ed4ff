/** Shared pieces for the distribution tests: tar bytes from entries, a temp dir, a buildpack dir. */
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import tarStream from 'tar-stream'
import { layerFromEntries, type TarEntry } from '../../lib/layer/index.js'

export const tmp = (p: string): Promise<string> => mkdtemp(join(tmpdir(), p))

/** A stored layer with `entries`. */
export async function entriesLayer(entries: TarEntry[], storeDir: string) {
  return layerFromEntries(entries, { storeDir })
}

/** Every entry of an uncompressed tar: name, type, mode, uid, gid, mtime, and file text. */
export async function readTar(stream: Readable): Promise<{ name: string; type: string; mode: number; uid: number; gid: number; mtime: Date; text?: string }[]> {
  const extract = tarStream.extract()
  stream.pipe(extract)
  const out = []
  for await (const e of extract) {
    const chunks: Buffer[] = []
    for await (const c of e) chunks.push(c as Buffer)
    const h = e.header
    out.push({ name: h.name, type: h.type ?? 'file', mode: h.mode ?? 0, uid: h.uid ?? 0, gid: h.gid ?? 0, mtime: h.mtime ?? new Date(0), ...(h.type === 'file' ? { text: Buffer.concat(chunks).toString() } : {}) })
  }
  return out
}
