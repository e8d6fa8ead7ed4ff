/**
 * Child process for the resume-across-processes tests and benchmark: pushes one file as a blob
 * with a registry client that keeps interrupted uploads in STATE_DIR, so the parent can kill it
 * mid-push and run it again. Usage: push-child.ts HOST REPOSITORY FILE DIGEST SIZE STATE_DIR CHUNK_BYTES
 * Log lines go to stderr; "done <ms>" to stdout at the end.
 */
import { createReadStream } from 'node:fs'
import type { Digest } from '../../lib/digest/index.js'
import { createRegistryClient } from '../../lib/registry/index.js'

const [host, repository, file, digest, size, stateDir, chunk] = process.argv.slice(2)
if (!host || !repository || !file || !digest || !size || !stateDir || chunk === undefined) {
  process.stderr.write('usage: push-child.ts HOST REPOSITORY FILE DIGEST SIZE STATE_DIR CHUNK_BYTES\n')
  process.exit(3)
}
const client = createRegistryClient({
  uploadStateDir: stateDir, resumableChunkSize: Number(chunk), retry: { baseDelayMs: 5, maxDelayMs: 20 },
  log: (line) => process.stderr.write(`${line}\n`),
})
const t0 = performance.now()
await client.repository({ registry: host, repository }).blobs.put(() => createReadStream(file, { highWaterMark: 1 << 20 }),
  { digest: digest as Digest, size: Number(size) })
await client.close()
process.stdout.write(`done ${Math.round(performance.now() - t0)}\n`)
