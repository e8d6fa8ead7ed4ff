import t from 'tap'
import { LadingError } from '../lib/errors.js'
import { PhaseError } from '../lib/phase-error.js'

t.test('PhaseError carries the phase, the lifecycle exit code and a per-phase code', async (t) => {
  const cause = new Error('root')
  const e = new PhaseError('export', 'EXPORT_UNKNOWN_PROCESS', 'no such process', { cause })
  t.ok(e instanceof LadingError)
  t.ok(e instanceof Error)
  t.equal(e.phase, 'export')
  t.equal(e.exitCode, 63)
  t.equal(e.code, 'ERR_PHASE_EXPORT')
  t.match(e.message, 'no such process')
  t.equal(e.cause, cause)
})

t.test('every phase gets its own stable code', async (t) => {
  const phases = ['analyze', 'detect', 'restore', 'build', 'export', 'rebase'] as const
  t.same(phases.map((p) => new PhaseError(p, 'FAILED', 'x').code), phases.map((p) => `ERR_PHASE_${p.toUpperCase()}`))
  t.equal(new PhaseError('detect', 'DETECT_FAILED', 'x').cause, undefined, 'no cause unless given')
})
