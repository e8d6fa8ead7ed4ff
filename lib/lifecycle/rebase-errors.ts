import { PhaseError } from './errors.js'

/**
 * Why a rebase did not happen. `refused` and `not-cnb` are verdicts about the image (a fleet
 * reports them as "skipped"); the others are failures.
 */
export type RebaseErrorKind = 'failed' | 'refused' | 'not-cnb' | 'label' | 'old-base' | 'run-image'

/** Exit codes in the lifecycle's rebase range (cnb-spec.md §9.1: 70–79); 70 is the lifecycle's own. */
export const REBASE_EXIT_CODES: Readonly<Record<RebaseErrorKind, number>> = {
  failed: 70,
  refused: 71,
  'not-cnb': 72,
  label: 73,
  'old-base': 74,
  'run-image': 75,
}

/** A rebase that did not happen; `kind` says why, the message what to do about it. Nothing was written. */
export class RebaseError extends PhaseError {
  constructor(readonly kind: RebaseErrorKind, message: string, options?: { cause?: unknown }) {
    super('rebase', REBASE_EXIT_CODES[kind], message, options)
  }

  /** True for verdicts about the image (refused by a check, not a CNB image), false for failures. */
  get skipped(): boolean {
    return this.kind === 'refused' || this.kind === 'not-cnb'
  }
}
