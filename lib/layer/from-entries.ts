// Makes a deterministic layer from synthetic entries (launcher script, config files, directories, links).
import { LadingError } from '../errors.js'
import type { TarOptions } from './from-directory.js'
import { buildStoredLayer } from './build-layer.js'
import type { StoredLayer } from './stored-layer.js'
import { comparePaths, imagePathComponents } from './tar-path.js'
import type { TarWriter, EntryAttrs } from './tar-writer.js'

/** One synthetic layer entry (launcher script, config file, directory, link). */
export interface TarEntry {
  /** Absolute path in the image, e.g. `/cnb/lifecycle/launcher`. */
  path: string
  type: 'file' | 'directory' | 'symlink' | 'link'
  /** Permission bits (default: file 0o644, directory 0o755, symlink 0o777; a link with no
   *  mode/uid/gid of its own takes its target's). */
  mode?: number
  /** Owner (default: the options' uid/gid). */
  uid?: number
  gid?: number
  /** File content (files only; default empty). Strings are written as UTF-8. */
  content?: Uint8Array | string
  /** Symlink: target, verbatim. Hard link: absolute image path of a file entry of this layer. */
  linkname?: string
}

const DEFAULT_MODE = { file: 0o644, link: 0o644, directory: 0o755, symlink: 0o777 } as const

interface Planned { rel: string; entry: TarEntry | undefined }

/**
 * Builds a layer from in-memory entries and stores its gzip blob in `opts.storeDir`. Same
 * determinism rules as layerFromDirectory: entries are sorted (depth-first, byte order), each
 * entry's missing parent directories are emitted first with the parent attributes, every entry
 * gets `opts.mtime` and empty user/group names; the caller's array order does not matter.
 * Throws ERR_LAYER_INVALID_ENTRY for a duplicate path, a relative or `..` path, a parent that is
 * not a directory, content on a non-file, a symlink without target, or a hard link whose
 * target is not a file entry of this layer.
 */
export async function layerFromEntries(entries: TarEntry[], opts: TarOptions & { storeDir: string; gzipLevel?: number }): Promise<StoredLayer> {
  const plan = planEntries(entries)
  const owner = { uid: opts.uid ?? 0, gid: opts.gid ?? 0 }
  const parent: EntryAttrs = { uid: opts.parentUid ?? 0, gid: opts.parentGid ?? 0, mode: opts.parentMode ?? 0o755 }
  const produce = async (writer: TarWriter): Promise<void> => {
    // A hard link shares its target's inode, so by default its header carries the target's attributes.
    const fileAttrs = new Map<string, EntryAttrs>()
    for (const { rel, entry: e } of plan) {
      if (!e) {
        await writer.directory(rel, parent)
        continue
      }
      const attrs: EntryAttrs = { uid: e.uid ?? owner.uid, gid: e.gid ?? owner.gid, mode: e.mode ?? DEFAULT_MODE[e.type] }
      if (e.type === 'directory') await writer.directory(rel, attrs)
      else if (e.type === 'symlink') await writer.symlink(rel, e.linkname ?? '', attrs)
      else if (e.type === 'link') {
        const to = imagePathComponents(e.linkname ?? '').join('/')
        const target = fileAttrs.get(to)
        await writer.hardlink(rel, to, target && e.mode === undefined && e.uid === undefined && e.gid === undefined ? target : attrs)
      } else {
        const bytes = typeof e.content === 'string' ? Buffer.from(e.content, 'utf8') : e.content ?? new Uint8Array(0)
        await writer.file(rel, attrs, bytes.byteLength, bytes)
        fileAttrs.set(rel, attrs)
      }
    }
  }
  return buildStoredLayer(produce, opts, 'layer from entries')
}

/** Validates entries and returns them with implied parents, in tar order. */
function planEntries(entries: TarEntry[]): Planned[] {
  const byRel = new Map<string, TarEntry>()
  for (const e of entries) {
    const parts = imagePathComponents(e.path)
    if (parts.length === 0) throw invalid(e.path, 'the image root cannot be an entry')
    const rel = parts.join('/')
    if (byRel.has(rel)) throw invalid(e.path, 'duplicate path')
    if (e.content !== undefined && e.type !== 'file') throw invalid(e.path, `content on a ${e.type}`)
    if (e.type === 'symlink' && !e.linkname) throw invalid(e.path, 'symlink without linkname')
    byRel.set(rel, e)
  }
  const plan = new Map<string, Planned>()
  for (const [rel, e] of byRel) {
    const parts = rel.split('/')
    for (let i = 1; i < parts.length; i++) {
      const p = parts.slice(0, i).join('/')
      const explicit = byRel.get(p)
      if (explicit && explicit.type !== 'directory') throw invalid(e.path, `parent /${p} is a ${explicit.type}`)
      if (!plan.has(p)) plan.set(p, { rel: p, entry: explicit })
    }
    plan.set(rel, { rel, entry: e })
  }
  const sorted = [...plan.values()].sort((a, b) => comparePaths(a.rel, b.rel))
  const emitted = new Set<string>()
  for (const { rel, entry: e } of sorted) {
    if (e?.type === 'link') {
      const to = imagePathComponents(e.linkname ?? '').join('/')
      const target = byRel.get(to)
      if (target?.type !== 'file') throw invalid(e.path, `hard link target ${e.linkname} is not a file entry of this layer`)
      if (!emitted.has(to)) throw invalid(e.path, `hard link target ${e.linkname} must sort before the link`)
    }
    emitted.add(rel)
  }
  return sorted
}

function invalid(path: string, why: string): LadingError {
  return new LadingError('ERR_LAYER_INVALID_ENTRY', `layer entry ${JSON.stringify(path)}: ${why}`)
}
