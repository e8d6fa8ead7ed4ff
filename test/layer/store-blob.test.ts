import t from 'tap'
import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { gunzipSync } from 'node:zlib'
import { sha256 } from '../../lib/digest/index.js'
import { blobPath, storeLayerBlob } from '../../lib/layer/index.js'
import { tempDir } from './helpers.js'

t.test('stores gzip at sha256/<hex> with numbers from the same pass', async (t) => {
  const store = await tempDir(t)
  const tar = Buffer.from('x'.repeat(50_000))
  const r = await storeLayerBlob(Readable.from([tar.subarray(0, 1000), tar.subarray(1000)]), store, 9)
  const blob = await readFile(r.path)
  t.equal(r.path, blobPath(store, r.digest))
  t.equal(r.digest, sha256(blob))
  t.equal(r.size, blob.length)
  t.equal(r.diffId, sha256(tar))
  t.ok(gunzipSync(blob).equals(tar))
  // The same content again: the existing blob stays, the temp file is dropped.
  const again = await storeLayerBlob(Readable.from([tar]), store, 9)
  t.same(again, r)
  t.same(await readdir(join(store, 'sha256')), [r.digest.slice(7)])
})

t.test('a failing source leaves nothing behind and keeps context', async (t) => {
  const store = await tempDir(t)
  const src = new Readable({
    read() {
      this.push(Buffer.alloc(1000))
      this.destroy(new Error('disk on fire'))
    },
  })
  await t.rejects(storeLayerBlob(src, store), /store layer in .*: disk on fire/)
  t.same(await readdir(join(store, 'sha256')), [])
  await t.rejects(storeLayerBlob(Readable.from([Buffer.alloc(1)]), store, 42), { code: 'ERR_LAYER_INVALID_GZIP_LEVEL' })
})
