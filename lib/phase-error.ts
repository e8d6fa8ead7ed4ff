/** The error a failed phase throws: which phase, and the named exit code the CLI returns for it. */
import { LadingError } from './errors.js'
import { ExitCodes, type ExitCodeName } from './exit-codes.js'

/** The lifecycle phases, each with its own exit-code range (cnb-spec.md §9.1). */
export type Phase = 'analyze' | 'detect' | 'restore' | 'build' | 'export' | 'rebase'

/**
 * A phase failed; `exitName` names its code in the one exit-code table (lib/exit-codes.ts), and
 * `exitCode` is that code, the lifecycle's own, so scripts written for the lifecycle work.
 */
export class PhaseError extends LadingError {
  readonly exitCode: number
  constructor(readonly phase: Phase, readonly exitName: ExitCodeName, message: string, options?: { cause?: unknown }) {
    super(`ERR_PHASE_${phase.toUpperCase()}`, message, options)
    this.exitCode = ExitCodes[exitName]
  }
}
