// Large test blobs made cheaply: one random MiB repeated with a per-MiB counter, written and hashed in one pass.
import { createHash, randomBytes } from 'node:crypto'
import { open } from 'node:fs/promises'

const MiB = 1 << 20

/** Writes `mib` MiB to `path` (no two MiB alike) and returns its sha256 digest and size. */
export async function writeBigBlob(path: string, mib: number): Promise<{ path: string; digest: `sha256:${string}`; size: number }> {
  const unit = randomBytes(MiB)
  const hash = createHash('sha256')
  const fh = await open(path, 'w')
  try {
    for (let i = 0; i < mib; i++) {
      unit.writeUInt32BE(i, 0)
      hash.update(unit)
      await fh.write(unit)
    }
  } finally {
    await fh.close()
  }
  return { path, digest: `sha256:${hash.digest('hex')}`, size: mib * MiB }
}
