/** What earlier images of one rebase run showed about the blobs a rebased image needs: whether
 * its new config and the new base's layers tended to be in the repository already. Where the
 * registry says what a manifest lacks, asking it (manifest first) costs nothing for blobs that
 * are there and one extra PUT when they are not; writing them first costs a round trip each,
 * there or not. In a fleet the images mostly agree (a run image already mounted everywhere, or
 * nowhere; configs new, or a rollback to configs written before), so the run follows what it
 * saw, with an occasional ask so that a change of pattern is noticed.
 */

/** How often an image asks even when the run has stopped asking (it keeps the tally honest). */
const EXPLORE_EVERY = 32
/** How many more "missing" than "present" answers it takes to stop asking. */
const STOP_AFTER = 3

interface Tally { present: number; missing: number; decisions: number }

/** Per-run tallies; safe to share between concurrent rebases (Node runs them on one thread). */
export class PushHints {
  readonly #tallies = new Map<string, Tally>()

  #tally(key: string): Tally {
    let t = this.#tallies.get(key)
    if (!t) this.#tallies.set(key, (t = { present: 0, missing: 0, decisions: 0 }))
    return t
  }

  /** True when blobs of kind `key` (`config`, or a new base's reference) should be left for the registry to name. */
  ask(key: string): boolean {
    const t = this.#tally(key)
    t.decisions++
    return t.missing - t.present < STOP_AFTER || t.decisions % EXPLORE_EVERY === 0
  }

  /** Records what the registry said about blobs of kind `key` that were asked about. */
  record(key: string, present: number, missing: number): void {
    const t = this.#tally(key)
    t.present += present
    t.missing += missing
  }
}
