import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sha256 } from '../../lib/digest/index.js'
import { openLayout } from '../../lib/layout/index.js'
import { MAX_JSON_BLOB } from '../../lib/oci/index.js'
import { readBlob } from '../../lib/remote/index.js'

t.test('reads a small blob whole from a store; a descriptor over the JSON limit is refused before any read', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lading-read-blob-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const layout = await openLayout(dir, { create: true })
  const bytes = Buffer.from('{"a":1}')
  const desc = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(bytes), size: bytes.length }
  await layout.blobs.put(bytes, desc)
  t.same(await readBlob(layout.blobs, desc), bytes)
  await t.rejects(readBlob(layout.blobs, { ...desc, size: MAX_JSON_BLOB + 1 }), { code: 'ERR_SIZE_LIMIT', message: /over the \d+ limit for JSON blobs/ })
})
