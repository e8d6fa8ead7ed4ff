import { startRegistry } from '../registry-fixtures/index.js'
import { createRegistryClient } from '../lib/registry/index.js'
import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'
import { createHash, randomBytes } from 'node:crypto'
const MiB = 1 << 20
const path = '/tmp/tb/blob190'
const hash = createHash('sha256'); const fh = await open(path, 'w'); const unit = randomBytes(MiB)
for (let i = 0; i < 190; i++) { unit.writeUInt32BE(i, 0); hash.update(unit); await fh.write(unit) }
await fh.close()
const digest = 'sha256:' + hash.digest('hex') as any
for (const [mode, chunk] of [0,1,2,3].flatMap(() => [['auto', 0], ['chunked', 16], ['chunked', 32], ['chunked', 64]] as const)) {
  const reg = await startRegistry()
  const c = createRegistryClient({ uploadMode: mode as any, chunkSize: (chunk || 4) * MiB })
  const t0 = performance.now()
  await c.repository({ registry: reg.host, repository: 'x/y' }).blobs.put(() => createReadStream(path, { highWaterMark: MiB }), { digest, size: 190 * MiB })
  console.log(mode, chunk, Math.round(performance.now() - t0), 'ms', c.stats.requests, 'requests')
  await c.close(); await reg.stop()
}
