import t from 'tap'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import type { Readable } from 'node:stream'
import { sha256 } from '../../lib/digest/index.js'
import { MediaTypes } from '../../lib/oci/index.js'
import { layerFromBlobFile } from '../../lib/layer/index.js'
import { tempDir } from './helpers.js'

async function bytesOf(s: Readable): Promise<Buffer> {
  const out: Buffer[] = []
  for await (const c of s) out.push(c as Buffer)
  return Buffer.concat(out)
}

t.test('layerFromBlobFile re-opens and verifies its blob', async (t) => {
  const tmp = await tempDir(t)
  const tar = Buffer.from('tar bytes '.repeat(100))
  const gz = gzipSync(tar)
  const path = join(tmp, 'blob')
  await writeFile(path, gz)
  const layer = layerFromBlobFile(path, { digest: sha256(gz), diffId: sha256(tar), size: gz.length })
  t.equal(layer.mediaType, MediaTypes.OCI_LAYER_GZIP)
  t.same(layer.descriptor(), { mediaType: MediaTypes.OCI_LAYER_GZIP, digest: sha256(gz), size: gz.length })
  t.equal(await layer.diffId(), sha256(tar))
  for (let i = 0; i < 2; i++) {
    t.ok((await bytesOf(await layer.compressed())).equals(gz), `compressed read ${i}`)
    t.ok((await bytesOf(await layer.uncompressed())).equals(tar), `uncompressed read ${i}`)
  }
  const tarLayer = layerFromBlobFile(path, { digest: sha256(gz), diffId: sha256(gz), size: gz.length, mediaType: MediaTypes.OCI_LAYER })
  t.ok((await bytesOf(await tarLayer.uncompressed())).equals(gz), 'uncompressed media type: as is')
})

t.test('a blob that does not match fails at the end of the stream', async (t) => {
  const tmp = await tempDir(t)
  const path = join(tmp, 'blob')
  const one = gzipSync(Buffer.from('one'))
  await writeFile(path, one)
  const other = gzipSync(Buffer.from('two'))
  const wrongDigest = layerFromBlobFile(path, { digest: sha256(other), diffId: sha256('two'), size: one.length })
  await t.rejects(bytesOf(await wrongDigest.compressed()), { code: 'ERR_DIGEST_MISMATCH' })
  const wrongSize = layerFromBlobFile(path, { digest: sha256(other), diffId: sha256('two'), size: 3 })
  await t.rejects(bytesOf(await wrongSize.uncompressed()), { code: 'ERR_SIZE_MISMATCH' })
  const missing = layerFromBlobFile(join(tmp, 'nope'), { digest: sha256(other), diffId: sha256('two'), size: 3 })
  await t.rejects(missing.compressed(), /open layer blob sha256:/)
  t.throws(() => layerFromBlobFile(path, { digest: 'sha256:nothex' as never, diffId: sha256(''), size: 1 }), { code: 'ERR_DIGEST_INVALID' })
  t.throws(() => layerFromBlobFile(path, { digest: sha256(''), diffId: sha256(''), size: -1 }), { code: 'ERR_LAYER_INVALID_SIZE' })
})
