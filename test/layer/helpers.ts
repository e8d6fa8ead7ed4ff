// Shared helpers for test/layer/*.test.ts (not a test file itself).
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { Readable } from 'node:stream'
import { gunzipSync } from 'node:zlib'
import tarStream from 'tar-stream'

interface Cleanup { teardown(fn: () => unknown): void }

/** A fresh temp dir removed when the test ends. */
export async function tempDir(t: Cleanup, label = 'layer'): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), `lading-test-${label}-`))
  t.teardown(() => rm(d, { recursive: true, force: true }))
  return d
}

/** A raw tar entry for hand-made (possibly malicious) archives; written as given. */
export interface RawEntry {
  name: string
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'fifo'
  content?: string
  linkname?: string
  mode?: number
  mtime?: Date
  uid?: number
  gid?: number
}

/** Builds an uncompressed tar with tar-stream, entry headers exactly as given. */
export async function rawTar(entries: RawEntry[]): Promise<Buffer> {
  const pack = tarStream.pack()
  const chunks: Buffer[] = []
  const collected = (async () => {
    for await (const c of pack) chunks.push(c as Buffer)
  })()
  for (const e of entries) {
    const type = e.type ?? 'file'
    await new Promise<void>((resolve, reject) => {
      pack.entry({
        name: e.name, type, mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644), uid: e.uid ?? 0, gid: e.gid ?? 0,
        mtime: e.mtime ?? new Date('2001-02-03T04:05:06Z'), linkname: e.linkname ?? '',
        size: type === 'file' ? Buffer.byteLength(e.content ?? '') : 0,
      }, type === 'file' ? (e.content ?? '') : '', (err) => (err ? reject(err) : resolve()))
    })
  }
  pack.finalize()
  await collected
  return Buffer.concat(chunks)
}

/** A readable over `buf`. */
export function streamOf(buf: Uint8Array): Readable {
  return Readable.from([Buffer.from(buf)])
}

/** One parsed header of a tar, as tar-stream reads it. */
export interface ListedEntry { name: string; type: string; mode: number; uid: number; gid: number; size: number;
  mtime: number; linkname: string | null; uname: string; gname: string; content: Buffer }

/** Parses a tar (gzip or not) into its entries, with contents. */
export async function listTar(bytes: Uint8Array): Promise<ListedEntry[]> {
  const buf = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : Buffer.from(bytes)
  const ex = tarStream.extract()
  const out: ListedEntry[] = []
  const done = (async () => {
    for await (const entry of ex) {
      const parts: Buffer[] = []
      for await (const c of entry) parts.push(c as Buffer)
      const h = entry.header
      out.push({ name: h.name, type: h.type, mode: h.mode, uid: h.uid, gid: h.gid, size: h.size, mtime: h.mtime.getTime(),
        linkname: h.linkname, uname: h.uname, gname: h.gname, content: Buffer.concat(parts) })
    }
  })()
  ex.end(buf)
  await done
  return out
}

/** `tar -tvzf` of a blob with full times and numeric owners (GNU tar as an independent reader). */
export function systemTarList(path: string, gzip = true): string[] {
  const out = execFileSync('tar', [gzip ? '-tvzf' : '-tvf', path, '--full-time', '--numeric-owner'], { encoding: 'utf8' })
  return out.split('\n').filter((l) => l !== '')
}
