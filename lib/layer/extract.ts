// Safe extraction of an uncompressed layer tar into a directory (build images, restored layers).
import { createWriteStream } from 'node:fs'
import { once } from 'node:events'
import { chmod, chown, lchown, link, lutimes, mkdir, rename, rm, symlink, unlink, utimes } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import tarStream from 'tar-stream'
import { LadingError, wrapError } from '../errors.js'
import { UnsafePathError } from './errors.js'
import { SafeRoot, lstatOrUndefined } from './safe-root.js'
import { tarPathComponents } from './tar-path.js'
import { WHITEOUT_PREFIX, applyWhiteout } from './whiteout.js'

/** Options of extractLayer. */
export interface ExtractOptions {
  /** chown entries to their tar uid/gid; only done when running as root (default false). */
  preserveOwner?: boolean
  /** Apply `.wh.` whiteouts to what is already in destDir instead of writing them (default true). */
  applyWhiteouts?: boolean
  /** Told about each entry that is not written (device, FIFO, sparse file, unknown type), by name. */
  onWarning?: (line: string) => void
}

/** One entry as tar-stream yields it: its header and its data (read it fully before the next). */
type Source = AsyncIterable<Buffer> & { header: tarStream.Header }
interface Ctx { root: SafeRoot; written: Set<string>; dirTimes: Array<[string, Date]>; chown: boolean; whiteouts: boolean; warn: (line: string) => void }

/**
 * Extracts an uncompressed layer tar into `destDir` (created if missing), on top of what is
 * there, and resolves with the number of tar entries read. Safety: an entry that is absolute,
 * has a `..` component, goes through a symlink resolving outside destDir, or is a hard link to
 * such a path throws UnsafePathError naming the entry; symlinks are created verbatim but never
 * followed out of destDir. Whiteouts (when applied) delete lower content and are not written.
 * An existing directory hit by a directory entry keeps its contents and gets the new mode;
 * anything else existing at a path is replaced. Files are written to a temp name and renamed,
 * so a failure never leaves a half-written file at its final path. Modes (`& 0o7777`) and
 * mtimes are set; directory mtimes are set last. Device and FIFO entries are skipped (Node
 * cannot create them, and a build needs none: /dev is the sandbox's own), as are GNU sparse files
 * (their data is a sparse map, not the file), each named through `onWarning`. Stops at the first
 * error; earlier entries stay extracted.
 */
export async function extractLayer(tar: Readable, destDir: string, opts: ExtractOptions = {}): Promise<{ entries: number }> {
  const ctx: Ctx = {
    root: await SafeRoot.open(destDir),
    written: new Set(),
    dirTimes: [],
    chown: opts.preserveOwner === true && process.getuid?.() === 0,
    whiteouts: opts.applyWhiteouts !== false,
    warn: opts.onWarning ?? (() => {}),
  }
  const ex = tarStream.extract()
  tar.on('error', (err) => ex.destroy(err))
  tar.pipe(ex as unknown as NodeJS.WritableStream)
  let entries = 0
  try {
    for await (const entry of ex) {
      entries++
      await applyEntry(ctx, entry as Source)
    }
  } catch (err) {
    tar.destroy()
    ex.destroy()
    throw err instanceof UnsafePathError ? err : wrapError(`extract layer into ${destDir}`, err)
  }
  // Deepest first, so setting a child's time never touches a parent's afterwards.
  ctx.dirTimes.sort((a, b) => b[0].length - a[0].length)
  for (const [p, t] of ctx.dirTimes) {
    const st = await lstatOrUndefined(p)
    // A later entry may have replaced or whited out this directory: nothing to stamp then.
    if (st?.isDirectory()) await utimes(p, t, t)
  }
  return { entries }
}

async function applyEntry(ctx: Ctx, entry: Source): Promise<void> {
  const h = entry.header
  const parts = tarPathComponents(h.name)
  const base = parts[parts.length - 1]
  if (base === undefined) {
    await drain(entry)
    return
  }
  const skipped = skipReason(h)
  if (skipped) {
    // a device/FIFO we cannot create, or a sparse file we cannot write faithfully: consume, say so
    await drain(entry)
    ctx.warn(`skipped ${skipped} ${JSON.stringify(sparseName(h) ?? h.name)}: ${skipped.startsWith('sparse') ? 'not written (neither sparse nor dense)' : 'not created'}`)
    return
  }
  const parentParts = parts.slice(0, -1)
  if (ctx.whiteouts && base.startsWith(WHITEOUT_PREFIX)) {
    await drain(entry)
    await applyWhiteout(ctx.root, parentParts, base, h.name, ctx.written)
    return
  }
  const dir = await ctx.root.dir(parentParts, h.name, true, (p) => ctx.written.add(ctx.root.rel(p)))
  if (dir === undefined) throw new LadingError('ERR_LAYER_EXTRACT', `no parent for ${h.name}`)
  const final = join(dir, base)
  const mode = h.mode & 0o7777
  if (h.type === 'directory') {
    await drain(entry)
    const st = await lstatOrUndefined(final)
    if (!st?.isDirectory()) {
      if (st) await removeExisting(ctx, final, st.isDirectory())
      await mkdir(final, { mode: 0o700 })
    }
    await chmod(final, mode)
    if (ctx.chown) await chown(final, h.uid, h.gid)
    ctx.dirTimes.push([final, h.mtime])
  } else if (h.type === 'link') {
    await drain(entry)
    await hardlink(ctx, h.name, h.linkname ?? '', final)
  } else {
    const tmp = join(dir, `.lading-tmp-${randomBytes(6).toString('hex')}`)
    try {
      if (h.type === 'symlink') {
        await drain(entry)
        await symlink(h.linkname ?? '', tmp)
        if (ctx.chown) await lchown(tmp, h.uid, h.gid)
        await lutimes(tmp, h.mtime, h.mtime)
      } else {
        const ws = createWriteStream(tmp, { flags: 'wx', mode: 0o600 })
        // the stream opens its file lazily: after a failure, wait for it to close so the cleanup
        // below cannot run before the file exists
        await pipeline(entry, ws).catch(async (err) => {
          if (!ws.closed) await once(ws, 'close').catch(() => {})
          throw err
        })
        if (ctx.chown) await chown(tmp, h.uid, h.gid)
        // After chown: chown clears setuid/setgid bits.
        await chmod(tmp, mode)
        await utimes(tmp, h.mtime, h.mtime)
      }
      const st = await lstatOrUndefined(final)
      // rename replaces files and symlinks in one step, but not a directory.
      if (st?.isDirectory()) await removeExisting(ctx, final, true)
      else if (st?.isSymbolicLink()) ctx.root.forget()
      await rename(tmp, final)
    } catch (err) {
      await rm(tmp, { force: true })
      throw err
    }
  }
  ctx.written.add(ctx.root.rel(final))
}

async function hardlink(ctx: Ctx, entry: string, linkname: string, final: string): Promise<void> {
  let parts: string[]
  try {
    parts = tarPathComponents(linkname, entry)
  } catch (err) {
    if (err instanceof UnsafePathError) throw new UnsafePathError(entry, `hard link target ${JSON.stringify(linkname)}: ${err.reason}`)
    throw err
  }
  const name = parts[parts.length - 1]
  if (name === undefined) throw new UnsafePathError(entry, 'hard link to the destination root')
  const dir = await ctx.root.dir(parts.slice(0, -1), entry, false)
  const src = dir === undefined ? undefined : join(dir, name)
  const srcSt = src === undefined ? undefined : await lstatOrUndefined(src)
  if (src === undefined || !srcSt) throw new LadingError('ERR_LAYER_EXTRACT', `tar entry ${JSON.stringify(entry)}: hard link target ${linkname} does not exist`)
  if (srcSt.isDirectory()) throw new LadingError('ERR_LAYER_EXTRACT', `tar entry ${JSON.stringify(entry)}: hard link target ${linkname} is a directory`)
  const st = await lstatOrUndefined(final)
  if (st && st.ino === srcSt.ino && st.dev === srcSt.dev) return
  if (st) await removeExisting(ctx, final, st.isDirectory())
  await link(src, final)
}

async function removeExisting(ctx: Ctx, p: string, isDir: boolean): Promise<void> {
  if (isDir) await rm(p, { recursive: true, force: true })
  else await unlink(p)
  ctx.root.forget()
}

/** Why an entry is not written, or undefined when it is. */
function skipReason(h: tarStream.Header): string | undefined {
  const t = h.type as string | null
  if (sparseName(h) !== undefined) return 'sparse file'
  if (t === 'file' || t === 'contiguous-file' || t === 'directory' || t === 'symlink' || t === 'link') return undefined
  if (t === 'character-device' || t === 'block-device') return `${t.replace('-', ' ')} ${h.devmajor ?? 0}:${h.devminor ?? 0}`
  if (t === 'fifo') return 'FIFO'
  return t === null ? 'entry of unknown type (an old-style GNU sparse file?)' : `entry of unsupported type ${JSON.stringify(t)}`
}

/** The real name of a PAX (GNU.sparse.*) sparse file, or undefined for anything else. */
function sparseName(h: tarStream.Header): string | undefined {
  const pax = h.pax as Record<string, string> | undefined
  if (!pax || !Object.keys(pax).some((k) => k.startsWith('GNU.sparse.'))) return undefined
  return pax['GNU.sparse.name'] ?? h.name
}

/** Reads an entry's data to its end (tar-stream needs that before it yields the next entry). */
async function drain(s: Source): Promise<void> {
  for await (const _ of s) {
    // discarded: whiteouts, directories, links and skipped types carry nothing we write
  }
}
