import { randomBytes } from 'node:crypto'
import tar from 'tar-stream'
import { imageFromParts, layerFromBytes, type Image, type Layer } from '../../lib/image/index.js'
import type { MediaTypeFamily } from '../../lib/oci/index.js'

/** An uncompressed tar holding `files` (path → content), with fixed metadata (mtime 0, uid/gid 0). */
export async function makeTar(files: Record<string, Uint8Array | string>): Promise<Buffer> {
  const pack = tar.pack()
  const chunks: Buffer[] = []
  pack.on('data', (c: unknown) => { chunks.push(c as Buffer) })
  const done = new Promise<void>((resolve, reject) => {
    pack.on('end', resolve)
    pack.on('error', reject)
  })
  for (const [name, content] of Object.entries(files).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const body = typeof content === 'string' ? Buffer.from(content) : Buffer.from(content)
    await new Promise<void>((resolve, reject) => {
      pack.entry({ name, size: body.length, mode: 0o644, mtime: new Date(0), uid: 0, gid: 0, uname: '', gname: '' }, body,
        (err) => (err ? reject(err) : resolve()))
    })
  }
  pack.finalize()
  await done
  return Buffer.concat(chunks)
}

/** A gzip layer whose tar holds one file of `bytes` random bytes (so every call gives a new layer). */
export async function randomLayer(bytes: number, opts: { gzip?: boolean } = {}): Promise<Layer> {
  const name = `random-${randomBytes(4).toString('hex')}`
  return layerFromBytes(await makeTar({ [name]: randomBytes(bytes) }), opts)
}

/**
 * An image of `layers` random layers of `bytesPerLayer` bytes each (linux/amd64 unless told),
 * with one history entry per layer.
 */
export async function randomImage(layers: number, bytesPerLayer: number, opts: { family?: MediaTypeFamily } = {}): Promise<Image> {
  const adds = []
  for (let i = 0; i < layers; i++) adds.push({ layer: await randomLayer(bytesPerLayer), history: { created_by: `random layer ${i}` } })
  return imageFromParts({ layers: adds, created: '1980-01-01T00:00:01Z', ...(opts.family ? { family: opts.family } : {}) })
}
