import { LadingError } from '../errors.js'

/** The lifecycle phases, each with its own exit-code range (cnb-spec.md §9.1). */
export type Phase = 'analyze' | 'detect' | 'restore' | 'build' | 'export' | 'rebase'

/**
 * A phase failed; `exitCode` is the lifecycle's code for it (20/21 detect, 51 a buildpack's
 * bin/build, 30s analyze, 40s restore, 60s export, 70s rebase) so scripts written for the lifecycle work.
 */
export class PhaseError extends LadingError {
  constructor(readonly phase: Phase, readonly exitCode: number, message: string, options?: { cause?: unknown }) {
    super(`ERR_PHASE_${phase.toUpperCase()}`, message, options)
  }
}
