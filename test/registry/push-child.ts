/**
 * Child process for the resume-across-processes tests and benchmark: pushes one file as a blob
 * with a registry client that keeps interrupted uploads in STATE_DIR, so the parent can kill it
 * mid-push and run it again. SIGTERM/SIGINT stop the push as the CLI does (at a chunk boundary),
 * then it exits 143/130. SOURCE is `file` (read in place, as from an OCI layout; the default) or
 * `stream` (a read stream). Usage:
 *   push-child.ts HOST REPOSITORY FILE DIGEST SIZE STATE_DIR CHUNK_BYTES [file|stream]
 * Log lines go to stderr; "done <ms>" to stdout at the end.
 */
import { createReadStream } from 'node:fs'
import type { Digest } from '../../lib/digest/index.js'
import { createRegistryClient } from '../../lib/registry/index.js'

const [host, repository, file, digest, size, stateDir, chunk, source = 'file'] = process.argv.slice(2)
if (!host || !repository || !file || !digest || !size || !stateDir || chunk === undefined) {
  process.stderr.write('usage: push-child.ts HOST REPOSITORY FILE DIGEST SIZE STATE_DIR CHUNK_BYTES [file|stream]\n')
  process.exit(3)
}
const controller = new AbortController()
let exitCode = 0
for (const [sig, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
  process.on(sig, () => {
    exitCode = code
    controller.abort(new Error(`interrupted (${sig})`))
  })
}
const client = createRegistryClient({
  uploadStateDir: stateDir, resumableChunkSize: Number(chunk), retry: { baseDelayMs: 5, maxDelayMs: 20 },
  log: (line) => process.stderr.write(`${line}\n`),
})
const t0 = performance.now()
try {
  await client.repository({ registry: host, repository }).blobs.put(() => createReadStream(file, { highWaterMark: 1 << 20 }),
    { digest: digest as Digest, size: Number(size) }, { signal: controller.signal, ...(source === 'file' ? { file } : {}) })
  process.stdout.write(`done ${Math.round(performance.now() - t0)}\n`)
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`)
  exitCode ||= 1
} finally {
  await client.close()
}
process.exit(exitCode)
