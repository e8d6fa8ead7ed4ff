/** What earlier images of one rebase run showed about the blobs a rebased image needs: whether
 * its new config and the new base's layers tended to be in the repository already. Where the
 * registry says what a manifest lacks, asking it (manifest first) costs nothing for blobs that
 * are there and one extra PUT when they are not; writing them first costs a round trip each,
 * there or not. A run starts by writing them (a rebase usually brings a new config, and a new
 * run image's layers the repository has not seen); the second image asks, and so does every
 * 32nd after it, and the run follows what those answers showed: in a fleet the images mostly
 * agree (a run image already mounted everywhere, or a rollback to configs written before).
 * Where lading's config cache knows an image, its configs are decided by what the cache holds
 * instead, with no probe (push.ts, decideConfig); the config tally serves the images it does not.
 */

/** How often an image asks even when the run is not asking (a change of pattern gets noticed). */
const EXPLORE_EVERY = 32
/** How many more "missing" than "present" answers it takes to stop asking; also where a run starts. */
const STOP_AFTER = 3

interface Tally { present: number; missing: number; decisions: number }

/** Per-run tallies; safe to share between concurrent rebases (Node runs them on one thread). */
export class PushHints {
  readonly #tallies = new Map<string, Tally>()

  #tally(key: string): Tally {
    let t = this.#tallies.get(key)
    if (!t) this.#tallies.set(key, (t = { present: 0, missing: STOP_AFTER, decisions: 0 }))
    return t
  }

  /** True when blobs of kind `key` (`config`, or a new base's reference) should be left for the registry to name. */
  ask(key: string): boolean {
    const t = this.#tally(key)
    t.decisions++
    return t.missing - t.present < STOP_AFTER || t.decisions % EXPLORE_EVERY === 2
  }

  /** Records what the registry said about blobs of kind `key` that were asked about. */
  record(key: string, present: number, missing: number): void {
    const t = this.#tally(key)
    t.present += present
    t.missing += missing
  }
}
