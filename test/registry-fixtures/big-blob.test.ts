// writeBigBlob: the file's size and digest are what it reports, and no two MiB are alike.
import t from 'tap'
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeBigBlob } from '../../registry-fixtures/index.js'

t.test('size and digest match the bytes written', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lading-big-blob-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const b = await writeBigBlob(join(dir, 'b'), 3)
  const bytes = await readFile(b.path)
  t.equal(bytes.length, b.size)
  t.equal(b.digest, `sha256:${createHash('sha256').update(bytes).digest('hex')}`)
  t.not(bytes.subarray(0, 1 << 20).toString('hex'), bytes.subarray(1 << 20, 2 << 20).toString('hex'))
})
