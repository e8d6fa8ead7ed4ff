import t from 'tap'
import { Readable } from 'node:stream'
import { gzipSync } from 'node:zlib'
import { MediaTypes } from '../../lib/oci/index.js'
import { createDeterministicGzip, gunzipIfNeeded } from '../../lib/layer/index.js'

async function bytesOf(s: Readable): Promise<Buffer> {
  const out: Buffer[] = []
  for await (const c of s) out.push(c as Buffer)
  return Buffer.concat(out)
}

t.test('gzip header has no name and mtime 0; output is stable', async (t) => {
  const input = Buffer.from('hello layer '.repeat(1000))
  const one = await bytesOf(Readable.from([input]).pipe(createDeterministicGzip(6)))
  const two = await bytesOf(Readable.from([input]).pipe(createDeterministicGzip(6)))
  t.equal(one[0], 0x1f)
  t.equal(one[1], 0x8b)
  t.equal(one[3], 0, 'FLG: no FNAME/FCOMMENT/FEXTRA')
  t.same([...one.subarray(4, 8)], [0, 0, 0, 0], 'MTIME is zero')
  t.ok(one.equals(two))
  t.notOk(one.equals(await bytesOf(Readable.from([input]).pipe(createDeterministicGzip(1)))), 'level matters')
  t.throws(() => createDeterministicGzip(10), { code: 'ERR_LAYER_INVALID_GZIP_LEVEL' })
  t.throws(() => createDeterministicGzip(1.5), { code: 'ERR_LAYER_INVALID_GZIP_LEVEL' })
})

t.test('gunzipIfNeeded by media type', async (t) => {
  const tar = Buffer.from('pretend tar')
  const gz = gzipSync(tar)
  for (const mt of [MediaTypes.OCI_LAYER_GZIP, MediaTypes.DOCKER_LAYER_GZIP, MediaTypes.OCI_LAYER_NONDIST_GZIP]) {
    t.ok((await bytesOf(gunzipIfNeeded(Readable.from([gz]), mt))).equals(tar), mt)
  }
  t.ok((await bytesOf(gunzipIfNeeded(Readable.from([tar]), MediaTypes.OCI_LAYER))).equals(tar), 'tar as is')
  t.throws(() => gunzipIfNeeded(Readable.from([tar]), 'application/json'), { code: 'ERR_LAYER_UNSUPPORTED_MEDIA_TYPE' })
  const hasZstd = typeof (await import('node:zlib') as Record<string, unknown>).createZstdDecompress === 'function'
  if (!hasZstd) {
    t.throws(() => gunzipIfNeeded(Readable.from([tar]), MediaTypes.OCI_LAYER_ZSTD),
      { code: 'ERR_LAYER_UNSUPPORTED_COMPRESSION', message: /zstd.*node:zlib/ })
  }
})

t.test('errors of the source reach the consumer', async (t) => {
  const src = new Readable({ read() { this.destroy(new Error('source broke')) } })
  await t.rejects(bytesOf(gunzipIfNeeded(src, MediaTypes.OCI_LAYER_GZIP)), /source broke/)
  await t.rejects(bytesOf(gunzipIfNeeded(Readable.from([Buffer.from('not gzip')]), MediaTypes.OCI_LAYER_GZIP)), /incorrect header/)
})
