// The local layer stash: cached layer directories kept on disk between builds, restored by rename.
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { treeFingerprint } from './fingerprint.js'

/**
 * One cached layer directory to keep for the next build on this machine, with its tree
 * fingerprint when the caller took it after the build (a rename keeps it valid, so keep() need
 * not walk the tree again).
 */
export interface StashEntry { dir: string; sha: string; fingerprint?: string }

/** Stashes of other caches kept next to this one (the most recently used), and the age past which any goes. */
export const STASH_SIBLINGS = 8
export const STASH_MAX_AGE_MS = 14 * 24 * 3600 * 1000

/**
 * Cached layer directories kept on local disk between builds, by diffID, so a rebuild restores
 * them with a rename instead of downloading and extracting them from the cache image again.
 * Each entry carries the tree fingerprint it had when stashed; one that no longer matches
 * (touched by anyone) is dropped and the build falls back to the cache. Same trust as the cache
 * directory itself: it lives on the build machine.
 */
export class LayerStash {
  constructor(readonly root: string) {}

  #paths(sha: string): { dir: string; mark: string } {
    const hex = sha.replace(/^sha256:/, '')
    return { dir: join(this.root, hex), mark: join(this.root, `${hex}.fingerprint`) }
  }

  /**
   * Moves the stashed layer `sha` to `target` and returns its tree fingerprint (checked against
   * the one recorded when it was stashed); undefined when there is none, or it was touched.
   */
  async take(sha: string, target: string): Promise<string | undefined> {
    const { dir, mark } = this.#paths(sha)
    const want = await readFile(mark, 'utf8').catch(() => undefined)
    if (!want) return undefined
    await rm(mark, { force: true })
    try {
      if (await treeFingerprint(dir) !== want) throw new Error('changed')
      await rm(target, { recursive: true, force: true })
      // A rename keeps every inode and time, so the fingerprint still holds at the target.
      await rename(dir, target)
      return want
    } catch {
      await rm(dir, { recursive: true, force: true })
      return undefined
    }
  }

  /**
   * Moves each entry's directory into the stash (the build dir is deleted afterwards anyway),
   * then drops stashed layers not in `entries`, so the stash holds one build's cache at most.
   * Best effort: a move across filesystems, or any other failure, just leaves that layer out.
   */
  async keep(entries: readonly StashEntry[]): Promise<void> {
    await mkdir(this.root, { recursive: true })
    const kept = new Set<string>()
    for (const e of entries) {
      const { dir, mark } = this.#paths(e.sha)
      kept.add(dir.slice(this.root.length + 1))
      try {
        await rm(mark, { force: true })
        await rm(dir, { recursive: true, force: true })
        await rename(e.dir, dir)
        await writeFile(mark, e.fingerprint ?? await treeFingerprint(dir))
      } catch {
        await rm(dir, { recursive: true, force: true }).catch(() => undefined)
      }
    }
    for (const name of await readdir(this.root).catch(() => [] as string[])) {
      const hex = name.replace(/\.fingerprint$/, '')
      if (!kept.has(hex)) await rm(join(this.root, name), { recursive: true, force: true })
    }
    const now = new Date()
    await utimes(this.root, now, now).catch(() => undefined)
    await this.#dropOldSiblings(now.getTime())
  }

  /**
   * One stash per cache (app) would otherwise grow without bound, a few hundred MB each: beyond
   * the STASH_SIBLINGS most recently used, and any unused for STASH_MAX_AGE_MS, stashes are
   * removed. Their caches still hold the layers; a build of theirs just restores from the cache.
   */
  async #dropOldSiblings(now: number): Promise<void> {
    const parent = dirname(this.root)
    const others: Array<{ dir: string; used: number }> = []
    for (const name of await readdir(parent).catch(() => [] as string[])) {
      if (name === basename(this.root) || !/^[0-9a-f]{16}$/.test(name)) continue
      const st = await stat(join(parent, name)).catch(() => undefined)
      if (st?.isDirectory()) others.push({ dir: join(parent, name), used: st.mtimeMs })
    }
    others.sort((a, b) => b.used - a.used)
    for (const [i, o] of others.entries()) {
      if (i >= STASH_SIBLINGS || now - o.used > STASH_MAX_AGE_MS) await rm(o.dir, { recursive: true, force: true }).catch(() => undefined)
    }
  }
}
