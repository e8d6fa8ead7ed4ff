/** `.cnb` files (cnb-spec.md §8.1): an uncompressed tar of an OCI image layout (`oci-layout`,
 * `index.json`, `blobs/sha256/…`). Written deterministically (sorted entries, fixed mtime,
 * owner 0), so the same buildpackage gives the same file; read through a safe extraction.
 */
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import tarStream from 'tar-stream'
import { fetchImage, pushImageContent } from '../remote/index.js'
import type { Image } from '../image/index.js'
import { extractLayer, DEFAULT_MTIME } from '../layer/index.js'
import { openLayout } from '../layout/index.js'
import { encodeJson, type Platform } from '../oci/index.js'
import { DistributionError } from './errors.js'

/** Writes `image` as a .cnb file at `file` (via `scratch`, which must be an empty or missing dir). */
export async function writeCnbFile(image: Image, file: string, scratch: string): Promise<void> {
  const layout = await openLayout(scratch, { create: true })
  const desc = await pushImageContent(layout, image)
  await writeFile(join(scratch, 'index.json'), encodeJson({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [desc] }))
  const blobs = (await readdir(join(scratch, 'blobs', 'sha256'))).sort()
  const pack = tarStream.pack()
  const tmp = `${file}.partial-${process.pid}`
  const writing = pipeline(pack, createWriteStream(tmp))
  const head = { mtime: DEFAULT_MTIME, uid: 0, gid: 0, uname: '', gname: '' }
  const add = (name: string, body: Buffer): Promise<void> => new Promise((res, rej) => pack.entry({ ...head, name, mode: 0o644, size: body.length }, body, (e) => e ? rej(e) : res()))
  const addFile = async (name: string, path: string): Promise<void> => {
    const size = (await stat(path)).size
    await new Promise<void>((res, rej) => {
      const sink = pack.entry({ ...head, name, mode: 0o644, size }, (e) => e ? rej(e) : res())
      createReadStream(path).on('error', rej).pipe(sink)
    })
  }
  try {
    await add('oci-layout', await readFile(join(scratch, 'oci-layout')))
    await add('index.json', await readFile(join(scratch, 'index.json')))
    pack.entry({ ...head, name: 'blobs/', type: 'directory', mode: 0o755 })
    pack.entry({ ...head, name: 'blobs/sha256/', type: 'directory', mode: 0o755 })
    for (const b of blobs) await addFile(`blobs/sha256/${b}`, join(scratch, 'blobs', 'sha256', b))
    pack.finalize()
    await writing
    await rename(tmp, file)
  } catch (err) {
    pack.destroy()
    await rm(tmp, { force: true })
    throw err
  }
}

/** Opens a .cnb file (unpacked into `scratch`) as an image; throws naming the file when it is not a tar of an OCI layout. */
export async function openCnbFile(file: string, scratch: string, platform?: Platform): Promise<Image> {
  await mkdir(scratch, { recursive: true })
  try {
    await extractLayer(createReadStream(file), scratch)
  } catch (err) {
    throw new DistributionError('NOT_OCI_LAYOUT', file, `not a .cnb file (an uncompressed tar of an OCI image layout): ${(err as Error).message.split(': ').at(-1)}`, { cause: err })
  }
  const missing = []
  for (const n of ['oci-layout', 'index.json']) if (!(await stat(join(scratch, n)).catch(() => undefined))) missing.push(n)
  if (missing.length) throw new DistributionError('NOT_OCI_LAYOUT', file, `not a .cnb file (an uncompressed tar of an OCI image layout): ${missing.join(' and ')} missing`)
  const layout = await openLayout(scratch)
  const first = (await layout.index.read()).manifests[0]
  if (!first) throw new DistributionError('NOT_OCI_LAYOUT', file, 'its OCI layout lists no image in index.json')
  return fetchImage(layout, first.digest, platform ? { platform } : {})
}
