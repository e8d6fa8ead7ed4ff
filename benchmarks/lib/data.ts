import { createCipheriv } from 'node:crypto'
import { open } from 'node:fs/promises'
import type { FaultProxy } from '../../registry-fixtures/index.js'

/** Blob bytes uploaded through `p` since request number `from` (PATCH/PUT bodies to uploads). */
export function uploadedBytes(p: FaultProxy, from: number): number {
  return p.requests.slice(from)
    .filter((q) => /\/blobs\/uploads\//.test(q.path) && (q.method === 'PATCH' || q.method === 'PUT'))
    .reduce((n, q) => n + q.bytesIn, 0)
}

/** `mib` MiB of deterministic, incompressible bytes (an AES-CTR keystream), like the deps buildpack makes. */
export async function writeDeps(path: string, mib: number): Promise<void> {
  const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16), Buffer.alloc(16))
  const fh = await open(path, 'w')
  try {
    for (let i = 0; i < mib; i++) await fh.write(cipher.update(Buffer.alloc(1 << 20)))
  } finally {
    await fh.close()
  }
}
