import { createCipheriv } from 'node:crypto'
import { cp, mkdir, open, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { FaultProxy } from '../../registry-fixtures/index.js'
import { timeCmd } from './harness.js'

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

/** An OCI layout at `<work>/layout`, tag `bench`, holding one layer of `mib` MiB of writeDeps bytes (made by `lading append`): what the push benchmarks push. */
export async function layoutWithDeps(lading: string, work: string, mib: number): Promise<string> {
  const content = join(work, 'content')
  await mkdir(content)
  await writeDeps(join(content, 'payload.bin'), mib)
  const layout = join(work, 'layout')
  await timeCmd({ argv: [lading, 'append', 'scratch', `oci:${layout}:bench`, '--layer', `${content}:/data`, '--quiet'] })
  await rm(content, { recursive: true, force: true })
  return layout
}

/** The Containerfile way of making the benchmark app image, with buildah (the peer of build and rebase). */
export interface BuildahPeer {
  /** The build context: deps.bin (the same bytes as the deps buildpack) and the bench app. */
  ctx: string
  /** `buildah bud` FROM `from` (a `host/repo:tag`) and `buildah push` to `pushTo`, as two argument lists. */
  commands(from: string, pushTo: string): Promise<string[][]>
}

/** Prepares the build context and private vfs storage for buildah under `work`. */
export async function buildahPeer(work: string, sizeMiB: number, appDir: string): Promise<BuildahPeer> {
  const ctx = join(work, 'ctx')
  await mkdir(ctx)
  await writeDeps(join(ctx, 'deps.bin'), sizeMiB)
  await cp(appDir, join(ctx, 'app'), { recursive: true })
  const root = join(work, 'buildah')
  const storage = ['--storage-driver', 'vfs', '--root', join(root, 'root'), '--runroot', join(root, 'runroot')]
  return {
    ctx,
    async commands(from, pushTo) {
      await writeFile(join(ctx, 'Containerfile'), `FROM ${from}\nCOPY deps.bin /layers/deps/deps.bin\nCOPY app /workspace\n`)
      return [
        [...storage, 'bud', '--tls-verify=false', '--isolation', 'chroot', '--layers', '-q', '-t', 'bench:1', ctx],
        [...storage, 'push', '--tls-verify=false', '-q', 'bench:1', `docker://${pushTo}`],
      ]
    },
  }
}
