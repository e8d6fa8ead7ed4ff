/** Hands the sandbox's writable dirs to the build user before each buildpack run, re-reading only
 * the directories that changed since the previous pass (lading, as root, writes into /workspace,
 * /layers and /tmp/cnb between runs, and the build user must own what it may change).
 *
 * Why it is safe to skip a directory: creating, removing or renaming an entry in a directory sets
 * the directory's ctime to the file system's "now". So when a directory's ctime is the one seen at
 * the last pass, its entries are the ones listed then, all of which were given away then (lading
 * never chowns to root). To be sure "the one seen" cannot also be a change made after that
 * listing within the same clock tick (1 s on some file systems), a listing is trusted only when
 * the directory's ctime is older than a stamp taken on the same file system before the listing.
 * A missed entry would only make the build fail with "permission denied", never widen access.
 *
 * Metadata calls are synchronous on purpose: a pass is thousands of tiny lstat calls (a
 * node_modules tree), where promise overhead would cost more than the calls themselves.
 */
import { lchownSync, lstatSync, readdirSync, type BigIntStats } from 'node:fs'
import { join } from 'node:path'
import type { HostIds } from './privilege.js'

interface Listing {
  ctime: bigint
  /** Directories directly inside, by name. */
  subdirs: string[]
}

function lstatOrUndefined(p: string): BigIntStats | undefined {
  try {
    return lstatSync(p, { bigint: true })
  } catch {
    return undefined
  }
}

/** Gives trees to `ids`, remembering trusted directory listings between passes. */
export class OwnershipKeeper {
  readonly #ids: HostIds
  readonly #listings = new Map<string, Listing>()
  /** Directories listed, for tests and debugging: how much work the last pass did. */
  listed = 0

  constructor(ids: HostIds) {
    this.#ids = ids
  }

  /** Gives `root` and everything under it (never following links) to the build user. */
  give(root: string): void {
    this.listed = 0
    const st = lstatOrUndefined(root)
    if (!st) return
    // a no-op chown still sets ctime: the stamp is this file system's "now"
    lchownSync(root, this.#ids.uid, this.#ids.gid)
    const stamp = lstatOrUndefined(root)?.ctimeNs
    if (stamp === undefined) return
    this.#visit(root, stamp)
  }

  #owned(st: BigIntStats): boolean {
    return st.uid === BigInt(this.#ids.uid) && st.gid === BigInt(this.#ids.gid)
  }

  #visit(dir: string, stamp: bigint): void {
    let st = lstatOrUndefined(dir)
    if (!st) {
      this.#forget(dir)
      return
    }
    if (!this.#owned(st)) {
      lchownSync(dir, this.#ids.uid, this.#ids.gid)
      st = lstatOrUndefined(dir)
      if (!st) return
    }
    if (!st.isDirectory()) return
    const known = this.#listings.get(dir)
    if (known && known.ctime === st.ctimeNs && known.ctime < stamp) {
      for (const name of known.subdirs) this.#visit(join(dir, name), stamp)
      return
    }
    this.listed++
    const subdirs: string[] = []
    for (const name of readdirSync(dir)) {
      const p = join(dir, name)
      const e = lstatOrUndefined(p)
      if (!e) continue
      if (e.isDirectory()) {
        subdirs.push(name)
        continue
      }
      if (!this.#owned(e)) lchownSync(p, this.#ids.uid, this.#ids.gid)
    }
    const now = new Set(subdirs)
    for (const old of known?.subdirs ?? []) if (!now.has(old)) this.#forget(join(dir, old))
    // recorded before descending: the children's chowns do not touch this directory's ctime
    this.#listings.set(dir, { ctime: st.ctimeNs, subdirs })
    for (const name of subdirs) this.#visit(join(dir, name), stamp)
  }

  #forget(dir: string): void {
    for (const k of this.#listings.keys()) if (k === dir || k.startsWith(`${dir}/`)) this.#listings.delete(k)
  }
}
