/** Why a rebase did not happen, as an error with a named code in the rebase range (70–79). */
import { PhaseError } from '../phase-error.js'
import { ExitCodes, type ExitCodeName } from '../exit-codes.js'

/**
 * Why a rebase did not happen. `refused` and `not-cnb` are verdicts about the image (a fleet
 * reports them as "skipped"); the others are failures.
 */
export type RebaseErrorKind = 'failed' | 'refused' | 'not-cnb' | 'label' | 'old-base' | 'run-image'

/** Each kind's name in the exit-code table (cnb-spec.md §9.1: 70–79; 70 is the lifecycle's own). */
const EXIT_NAMES: Readonly<Record<RebaseErrorKind, ExitCodeName>> = {
  failed: 'REBASE',
  refused: 'REBASE_REFUSED',
  'not-cnb': 'REBASE_NOT_CNB',
  label: 'REBASE_LABEL',
  'old-base': 'REBASE_OLD_BASE',
  'run-image': 'REBASE_RUN_IMAGE',
}

/** The exit code for each kind, read from the one table. */
export const REBASE_EXIT_CODES: Readonly<Record<RebaseErrorKind, number>> = Object.fromEntries(
  Object.entries(EXIT_NAMES).map(([k, n]) => [k, ExitCodes[n]]),
) as Record<RebaseErrorKind, number>

/** A rebase that did not happen; `kind` says why, the message what to do about it. Nothing was written. */
export class RebaseError extends PhaseError {
  constructor(readonly kind: RebaseErrorKind, message: string, options?: { cause?: unknown }) {
    super('rebase', EXIT_NAMES[kind], message, options)
  }

  /** True for verdicts about the image (refused by a check, not a CNB image), false for failures. */
  get skipped(): boolean {
    return this.kind === 'refused' || this.kind === 'not-cnb'
  }
}
