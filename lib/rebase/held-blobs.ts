/** Blobs a repository is known to hold during one rebase run: mounted or confirmed earlier in the
 * run. A rebase then never mounts them again: each mount is a round trip, and on a loopback
 * registry round trips are most of a rebase's time.
 */
export class HeldBlobs {
  readonly #byRepo = new Map<string, Set<string>>()

  /** True when `repo` (a repository name, `registry/path`) is known to hold `digest`. */
  has(repo: string, digest: string): boolean {
    return this.#byRepo.get(repo)?.has(digest) ?? false
  }

  /** Records that `repo` holds `digest`. */
  add(repo: string, digest: string): void {
    let set = this.#byRepo.get(repo)
    if (!set) this.#byRepo.set(repo, (set = new Set()))
    set.add(digest)
  }
}
