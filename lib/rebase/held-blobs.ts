/** Blobs a repository is known to hold during one rebase run (mounted or confirmed earlier in the
 * run), and which registries were seen to refuse a manifest whose blobs the repository lacks
 * (400 MANIFEST_BLOB_UNKNOWN, as distribution does). A rebase then never mounts a held blob again,
 * and in a fleet, on a registry that checks, puts the manifest first and mounts only when told
 * a blob is missing: each mount is a round trip, and round trips are most of a rebase's time.
 */
export class HeldBlobs {
  readonly #byRepo = new Map<string, Set<string>>()
  readonly #checks = new Map<string, boolean>()
  readonly #probed = new Set<string>()
  /** Whether manifests may go first on registries seen to check their blobs (a fleet turns this on). */
  optimistic = false

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

  /** True when `registry` was seen to refuse a manifest whose blobs the repository lacked. */
  checksManifestBlobs(registry: string): boolean {
    return this.#checks.get(registry) === true
  }

  /** Records that `registry` refused a manifest for a missing blob. */
  sawManifestBlobCheck(registry: string): void {
    this.#checks.set(registry, true)
  }

  /** True the first time it is asked for `registry`: that image's push finds out whether it checks. */
  claimProbe(registry: string): boolean {
    if (this.#probed.has(registry)) return false
    this.#probed.add(registry)
    return true
  }
}
