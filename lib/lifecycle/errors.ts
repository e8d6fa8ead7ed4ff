/** The phases' error: re-exported from lib/phase-error.ts, which rebase shares. */
export { PhaseError, type Phase } from '../phase-error.js'
